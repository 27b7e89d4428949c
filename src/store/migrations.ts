/**
 * The schema, as an ordered list of steps. To extend: append a step with the
 * next version number; never edit or reorder a step that has shipped.
 * STRICT tables so a wrong type is an error rather than silently stored.
 */
import type { Migration } from './migration';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'health probe',
    // One row rewritten by probeWritable(): proves the file still takes commits.
    up: `
      CREATE TABLE health_probe (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        counter INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'users',
    // Only digest HA1 hashes are kept, never passwords (RFC 8760 §3).
    up: `
      CREATE TABLE users (
        user       TEXT PRIMARY KEY NOT NULL,
        realm      TEXT NOT NULL,
        ha1_md5    TEXT NOT NULL CHECK (length(ha1_md5) = 32),
        ha1_sha256 TEXT NOT NULL CHECK (length(ha1_sha256) = 64)
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'registrations',
    // No foreign key to users: on loopback, registration is open to users with no account.
    up: `
      CREATE TABLE registrations (
        user        TEXT NOT NULL,
        contact     TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,
        call_id     TEXT NOT NULL,
        cseq        INTEGER NOT NULL,
        q           REAL CHECK (q IS NULL OR (q >= 0 AND q <= 1)),
        protocol    TEXT NOT NULL CHECK (protocol IN ('UDP', 'TCP')),
        address     TEXT NOT NULL,
        port        INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
        instance_id TEXT,
        reg_id      INTEGER,
        PRIMARY KEY (user, contact)
      ) STRICT;
      CREATE INDEX registrations_expires_at ON registrations (expires_at);
    `,
  },
  {
    version: 4,
    name: 'sessions',
    // IM sessions of the participating function: one row per session, the dialog state of
    // each leg as JSON (enough to send a BYE after a restart), timestamps in epoch ms.
    up: `
      CREATE TABLE sessions (
        id          TEXT PRIMARY KEY NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('1-1', 'large-message')),
        state       TEXT NOT NULL CHECK (state IN ('early', 'confirmed', 'terminated')),
        caller      TEXT NOT NULL,
        callee      TEXT NOT NULL,
        caller_leg  TEXT NOT NULL,
        callee_leg  TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX sessions_state ON sessions (state);
    `,
  },
  {
    version: 5,
    name: 'group documents',
    // Pre-defined groups (OMA shared group XML), kept as text: the store does not parse them.
    // id is the user part of the group URI sip:<group-id>@<domain>; updated_at in epoch ms.
    up: `
      CREATE TABLE group_documents (
        id          TEXT PRIMARY KEY NOT NULL,
        document    TEXT NOT NULL CHECK (length(document) > 0),
        updated_at  INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'registrations reach',
    // How requests reach a binding: its Contact (RFC 3261 16.5), the flow it registered on
    // (RFC 5626 outbound), or the address it came from (a NAT test at registration).
    up: `
      ALTER TABLE registrations ADD COLUMN reach TEXT NOT NULL DEFAULT 'contact' CHECK (reach IN ('contact', 'outbound', 'nat'));
    `,
  },
  {
    version: 7,
    name: 'group sessions',
    // Group sessions of the controlling function (DESIGN "Persistence"): they survive a power
    // cut with their IM Session Identity and participants, who rejoin with that identity. A
    // member's dialog is opaque JSON (enough for the BYE after a restart).
    up: `
      CREATE TABLE group_sessions (
        id          TEXT PRIMARY KEY NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('adhoc', 'predefined')),
        identity    TEXT NOT NULL,
        initiator   TEXT NOT NULL,
        group_id    TEXT,
        invited     TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE group_members (
        session_id  TEXT NOT NULL,
        member_id   TEXT NOT NULL,
        uri         TEXT NOT NULL,
        anonymous   INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
        leg         TEXT NOT NULL,
        PRIMARY KEY (session_id, member_id)
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: 'conference state subscriptions',
    // RFC 4575 subscriptions to group sessions: they outlive a restart with the session (the
    // subscriber's dialog as opaque JSON, the last NOTIFY version so versions keep growing).
    up: `
      CREATE TABLE group_subscriptions (
        id          TEXT PRIMARY KEY NOT NULL,
        session_id  TEXT NOT NULL,
        identity    TEXT NOT NULL,
        subscriber  TEXT NOT NULL,
        leg         TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,
        version     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX group_subscriptions_session ON group_subscriptions (session_id);
    `,
  },
  {
    version: 9,
    name: 'group session rejoin window',
    // When a restart left the members of a session disconnected (epoch ms): the rejoin window
    // counts from the first such restart, so a crash loop cannot keep a session alive.
    up: `
      ALTER TABLE group_sessions ADD COLUMN disconnected_since INTEGER;
    `,
  },
];
