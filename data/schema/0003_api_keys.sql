-- API keys for callers that write. Only a SHA-256 hash of each key is kept: the keys are 256-bit random
-- strings, so a fast hash is enough, and a leaked table does not give anyone a working key.
CREATE TABLE api_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$'),
  role text NOT NULL CHECK (role IN ('editor', 'admin')),
  key_prefix text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
