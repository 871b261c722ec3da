-- URIs may carry a fragment (organization_id, client URIs: UDAP's
-- "namespace#value", TEFCA's "#T-TREAT"). The same URI with and without a
-- fragment are look-alikes: look-alike keys "K" and "K#..." are found with
-- a byte range, which this index serves. Existing keys have no fragment
-- (they were refused) and stay as they are.
CREATE INDEX member_uris_lookalike_bytes ON member_uris (lookalike_key COLLATE "C");
