/** ISO 8583 listener metrics (design §5b): requests by MTI and DE39, connections open. */
export class IsoMetrics {
  private readonly requests = new Map<string, number>();
  private unparsable = 0;
  connections = 0;

  /** Counts an answered (or unanswered: code `none`) request. Keys are bounded: MTIs and DE39 values are few. */
  request(mti: string, code: string): void {
    const key = `${mti}\u0000${/^[0-9A-Z]{2}$/.test(code) ? code : 'other'}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  frameError(): void {
    this.unparsable++;
  }

  /** Prometheus text lines, appended to GET /metrics. */
  lines(): string[] {
    const out = [
      '# HELP purse_iso_requests_total ISO 8583 requests by request MTI and answer DE39 (none = no answer).',
      '# TYPE purse_iso_requests_total counter',
    ];
    for (const [key, n] of [...this.requests].sort(([a], [b]) => a.localeCompare(b))) {
      const [mti, code] = key.split('\u0000');
      out.push(`purse_iso_requests_total{mti="${mti}",response_code="${code}"} ${n}`);
    }
    out.push('# HELP purse_iso_connections_open ISO 8583 connections open.', '# TYPE purse_iso_connections_open gauge', `purse_iso_connections_open ${this.connections}`);
    out.push('# HELP purse_iso_frame_errors_total ISO 8583 frames that could not be parsed (connection closed).', '# TYPE purse_iso_frame_errors_total counter', `purse_iso_frame_errors_total ${this.unparsable}`);
    return out;
  }
}
