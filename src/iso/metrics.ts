import { Counter, Gauge, type Registry } from 'prom-client';

/** ISO 8583 listener metrics (design §5b): requests by MTI and DE39, connections open; in the daemon's registry. */
export class IsoMetrics {
  private readonly requests: Counter;
  private readonly frameErrors: Counter;
  private readonly open: Gauge;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'purse_iso_requests_total', help: 'ISO 8583 requests by request MTI and answer DE39 (none = no answer).',
      labelNames: ['mti', 'response_code'], registers: [registry],
    });
    this.frameErrors = new Counter({ name: 'purse_iso_frame_errors_total', help: 'ISO 8583 frames that could not be parsed (connection closed).', registers: [registry] });
    this.open = new Gauge({ name: 'purse_iso_connections_open', help: 'ISO 8583 connections open.', registers: [registry] });
  }

  /** Counts an answered (or unanswered: code `none`) request. Labels are bounded: MTIs and DE39 values are few. */
  request(mti: string, code: string): void {
    this.requests.inc({ mti: /^[0-9]{4}$/.test(mti) ? mti : 'other', response_code: code === 'none' || /^[0-9A-Z]{2}$/.test(code) ? code : 'other' });
  }

  frameError(): void {
    this.frameErrors.inc();
  }

  connected(): void {
    this.open.inc();
  }

  disconnected(): void {
    this.open.dec();
  }
}
