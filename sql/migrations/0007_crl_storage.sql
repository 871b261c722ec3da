-- A CRL's DER is stored and read whole, and it barely compresses (random
-- serials): keep it out of line but uncompressed. pglz compressing a
-- million-entry CRL (46 MB) cost ~0.6 s of every regeneration, and
-- decompressing it slowed `troth serve` start-up. Applies to rows written
-- from now on.
ALTER TABLE crls ALTER COLUMN der SET STORAGE EXTERNAL;
