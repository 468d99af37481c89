-- Load files from HR systems carry references with Chinese characters (design §6b): a reference is
-- 1 to 64 characters from A-Z a-z 0-9 _ . : - and the CJK ideograph blocks (U+3400-4DBF,
-- U+4E00-9FFF, U+F900-FAFF), the same set src/batch/load-row.ts checks.
alter table load_references drop constraint load_references_reference_check;
alter table load_references add constraint load_references_reference_check
  check (reference ~ '^[A-Za-z0-9_.:\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff-]{1,64}$');
