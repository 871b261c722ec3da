-- Holds placed because the member was suspended are lifted when it is
-- reinstated; holds an operator placed on a certificate stay.
ALTER TABLE certificates ADD COLUMN held_for_suspension boolean NOT NULL DEFAULT false;
ALTER TABLE certificates ADD CONSTRAINT held_for_suspension_only_on_hold
    CHECK (NOT held_for_suspension OR status = 'on_hold');
