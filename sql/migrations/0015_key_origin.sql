-- How each certificate's key was made (issue 14 item 11): 'csr' when the
-- member sent a CSR (the key never left the member), 'keygen' when Troth
-- made the key and handed it back once in a PKCS#12 (POST
-- /api/v1/certificates/keygen, or a renewal with "keygen"). The renew page
-- offers to make a new key when the original was made here.
-- Existing rows become 'csr': before this migration no row recorded how its
-- key was made, and 'csr' is the origin that promises nothing about a key
-- Troth once made (a keygen certificate renewed before now simply offers a
-- CSR first).
ALTER TABLE certificates
    ADD COLUMN key_origin text NOT NULL DEFAULT 'csr'
        CHECK (key_origin IN ('csr', 'keygen'));
