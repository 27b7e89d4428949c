// `imedge chat`: an IM client on the command line, interactive or scripted, on top of
// src/client. 1-1 (--to), ad-hoc group (--group, OMA IM 7.1.1.6), pre-defined group (--join),
// rejoin (--rejoin, 7.1.1.9); /invite extends a 1-1 session to a group. Interactive group
// sessions show their conference state (RFC 4575, OMA IM 7.1.1.11): who is in, who joined, who
// left, and /who. Exit codes: 0 done, 1 failed (the SIP status and Warning text are printed),
// 2 bad usage.
import * as readline from 'node:readline';
import { ImClient, SipStatusError, isPresent, type InboundMessage, type ImSession, type PagerMessage, type RosterEntry } from '../client';
import { readPassword } from './password';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from './exit';

export interface ChatFlags {
  user?: string;
  password?: string;
  passwordFile?: string;
  server: string;
  domain: string;
  transport: string;
  to?: string;
  /** Comma-separated users: start an ad-hoc group session with them. */
  group?: string;
  /** A pre-defined group id: start or join its session. */
  join?: string;
  /** A stored IM Session Identity to rejoin. */
  rejoin?: string;
  maxAdhocGroupSize?: string;
  send?: string;
  waitReply?: boolean;
  timeout: string;
  listen?: boolean;
  reply?: string;
  once?: boolean;
  page?: boolean;
  register: boolean;
  anonymous?: boolean;
  localHost: string;
  sipPort: string;
  storeFile?: string;
}

export interface ChatIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  readonly input: NodeJS.ReadableStream;
  /** Resolves when the user interrupts (SIGINT/SIGTERM); tests pass their own. */
  readonly interrupted: Promise<void>;
}

class UsageError extends Error {}

type Target =
  | { kind: 'peer'; peer: string }
  | { kind: 'group'; users: string[] }
  | { kind: 'join'; group: string }
  | { kind: 'rejoin'; identity: string };

interface Parsed {
  user: string;
  password: string | undefined;
  server: { host: string; port: number; transport: 'UDP' | 'TCP' };
  timeoutMs: number;
  sipPort: number;
  /** Undefined with --listen. */
  target: Target | undefined;
  maxAdhocGroupSize: number | undefined;
}

function targetOf(f: ChatFlags): Target | undefined {
  const given = [f.to, f.group, f.join, f.rejoin].filter((x) => x !== undefined).length;
  if (f.listen) {
    if (given > 0) throw new UsageError('--listen waits for a session; it takes no --to, --group, --join or --rejoin');
    return undefined;
  }
  if (given === 0) throw new UsageError('--to PEER is required (or --group, --join, --rejoin, --listen)');
  if (given > 1) throw new UsageError('use one of --to, --group, --join, --rejoin');
  if (f.to !== undefined) return { kind: 'peer', peer: f.to };
  if (f.group !== undefined) {
    const users = f.group.split(',').map((u) => u.trim()).filter(Boolean);
    if (users.length === 0) throw new UsageError('--group needs users: --group bob,carol');
    return { kind: 'group', users };
  }
  if (f.join !== undefined) {
    if (f.join.trim() === '') throw new UsageError('--join needs a group id');
    return { kind: 'join', group: f.join.trim() };
  }
  return { kind: 'rejoin', identity: (f.rejoin as string).trim() };
}

async function parse(f: ChatFlags): Promise<Parsed> {
  if (!f.user) throw new UsageError('--user is required');
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(f.server);
  if (!m) throw new UsageError(`--server ${f.server}: expected host:port`);
  const port = m[2] === undefined ? 5060 : Number(m[2]);
  if (!(port > 0 && port < 65536)) throw new UsageError(`--server ${f.server}: bad port`);
  const transport = f.transport.toUpperCase();
  if (transport !== 'UDP' && transport !== 'TCP') throw new UsageError(`--transport ${f.transport}: expected udp or tcp`);
  const timeout = Number(f.timeout);
  if (!(timeout > 0)) throw new UsageError(`--timeout ${f.timeout}: expected a positive number of seconds`);
  const sipPort = Number(f.sipPort);
  if (!Number.isInteger(sipPort) || sipPort < 0 || sipPort > 65535) throw new UsageError(`--sip-port ${f.sipPort}: bad port`);
  if (f.password !== undefined && f.passwordFile !== undefined) throw new UsageError('use --password or --password-file, not both');
  const target = targetOf(f);
  let maxAdhocGroupSize: number | undefined;
  if (f.maxAdhocGroupSize !== undefined) {
    maxAdhocGroupSize = Number(f.maxAdhocGroupSize);
    if (!Number.isInteger(maxAdhocGroupSize) || maxAdhocGroupSize < 1) throw new UsageError(`--max-adhoc-group-size ${f.maxAdhocGroupSize}: expected a whole number of at least 1`);
  }
  if (f.waitReply && f.send === undefined) throw new UsageError('--wait-reply needs --send');
  if (f.reply !== undefined && !f.listen) throw new UsageError('--reply needs --listen');
  if (f.page && f.send === undefined) throw new UsageError('--page needs --send');
  if (f.page && target?.kind !== 'peer') throw new UsageError('--page sends to one peer (--to)');
  const password = f.passwordFile !== undefined ? await readPassword({ passwordFile: f.passwordFile, prompt: '' }) : f.password;
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { user: f.user, password, server: { host, port, transport }, timeoutMs: timeout * 1000, sipPort, target, maxAdhocGroupSize };
}

const line = (s: NodeJS.WritableStream, text: string) => s.write(`${text}\n`);
const json = (s: NodeJS.WritableStream, v: Record<string, unknown>) => line(s, JSON.stringify(v));

/** How a failure reads to the user: a refusal with its Warning text (a 403 of the focus says why). */
function describe(err: unknown): string {
  if (err instanceof SipStatusError) return `${err.method} failed: ${err.status} ${err.reason}${err.warningText ? ` (${err.warningText})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/** Who said it: the CPIM sender of a group message, else the session's peer. */
function speaker(s: ImSession, m: InboundMessage): string {
  const who = m.sender;
  if (who === undefined) return s.peer;
  if (who.anonymous) return 'anonymous';
  return who.name !== undefined ? `${who.name} <${who.uri}>` : who.uri;
}

/** Who is in, as a person reads it: "sip:alice@x (you), sip:bob@x, anonymous". */
function names(roster: readonly RosterEntry[]): string {
  const inside = roster.filter(isPresent).map((e) => (e.self ? `${e.name} (you)` : e.name));
  return inside.length > 0 ? inside.join(', ') : 'nobody';
}

/**
 * OMA IM 7.1.1.11: an interactive group session subscribes to its conference state and prints
 * the roster when it first arrives, then who joined and who left, and the conference's end.
 */
function showConference(s: ImSession, io: ChatIo): void {
  if (!s.group) return;
  const w = s.subscribeConference();
  w.once('roster', (r) => line(io.out, `in this chat: ${names(r)}`));
  w.on('joined', (e) => line(io.out, `${e.name} joined`));
  w.on('left', (e) => line(io.out, `${e.name} left`));
  w.on('conference-ended', (e) => line(io.out, e.reason === 'noresource' ? 'the conference has ended' : `no more conference updates (${e.reason})`));
  // a focus without the conference package: chat goes on without a roster
  w.ready().catch((err: unknown) => {
    if (err instanceof SipStatusError) line(io.err, `conference state unavailable: ${describe(err)}`);
  });
}

/** Opens the session the flags ask for. */
function open(client: ImClient, target: Target, anonymous: boolean): Promise<ImSession> {
  const opts = { anonymous };
  switch (target.kind) {
    case 'peer':
      return client.invite(target.peer, opts);
    case 'group':
      return client.startGroup(target.users, opts);
    case 'join':
      return client.joinGroup(target.group, opts);
    case 'rejoin':
      return client.rejoin(target.identity, opts);
  }
}

function timeoutAfter(ms: number): { promise: Promise<'timeout'>; cancel(): void } {
  let t: NodeJS.Timeout | undefined;
  const promise = new Promise<'timeout'>((r) => {
    t = setTimeout(() => r('timeout'), ms);
  });
  return { promise, cancel: () => clearTimeout(t) };
}

/** Runs the command; resolves with its exit code. Never calls process.exit (testable in-process). */
export async function runChat(flags: ChatFlags, io: ChatIo): Promise<number> {
  let p: Parsed;
  try {
    p = await parse(flags);
  } catch (err) {
    line(io.err, `imedge chat: ${(err as Error).message}`);
    return err instanceof UsageError ? EXIT_CONFIG : EXIT_FAILURE;
  }
  // the command line of a process is readable by every local user (ps, /proc/<pid>/cmdline)
  if (flags.password !== undefined) line(io.err, 'imedge chat: warning: --password is visible to other users of this machine (ps); use --password-file FILE (mode 0600)');
  let client: ImClient | undefined;
  try {
    client = await ImClient.start({
      user: p.user,
      domain: flags.domain,
      ...(p.password !== undefined ? { password: p.password } : {}),
      server: p.server,
      localHost: flags.localHost,
      sipPort: p.sipPort,
      ...(flags.storeFile !== undefined ? { storeFile: flags.storeFile } : {}),
      ...(p.maxAdhocGroupSize !== undefined ? { maxAdhocGroupSize: p.maxAdhocGroupSize } : {}),
    });
    if (flags.register) await client.register();
    if (flags.listen) return await listen(client, flags, p, io);
    if (flags.send !== undefined) return await sendOnce(client, flags, p, io);
    return await interactive(client, flags, p, io);
  } catch (err) {
    // a refusal says why: the SIP status with the Warning text, or the local refusal
    // (MAX-ADHOC-GROUP-SIZE, OMA IM 7.1.1.6 step 5; nothing stored to rejoin, 7.1.1.9 step 1)
    line(io.err, `imedge chat: ${describe(err)}`);
    return EXIT_FAILURE;
  } finally {
    if (client !== undefined) {
      if (flags.register) await client.unregister().catch(() => undefined);
      await client.close();
    }
  }
}

function printReports(s: ImSession, io: ChatIo): void {
  s.on('report', (r) => json(io.err, { event: 'report', messageId: r.messageId, status: r.status.code }));
}

/** Scripted: --send TEXT [--wait-reply] [--page]. */
async function sendOnce(client: ImClient, f: ChatFlags, p: Parsed, io: ChatIo): Promise<number> {
  const target = p.target as Target;
  const text = f.send as string;
  if (f.page && target.kind === 'peer') {
    const r = await client.sendMessage(target.peer, text);
    line(io.err, `delivered: ${r.mode} ${r.status}`);
    return r.status === 200 ? EXIT_OK : EXIT_FAILURE;
  }
  const session = await open(client, target, !!f.anonymous);
  printReports(session, io);
  // in a group, a reply is printed with who sent it
  const reply = new Promise<{ text: string }>((resolve) =>
    session.once('message', (m) => resolve({ text: session.group ? `${speaker(session, m)}> ${m.body.toString('utf8')}` : m.body.toString('utf8') })),
  );
  const ended = new Promise<'ended'>((resolve) => session.once('ended', () => resolve('ended')));
  // a group message reaches those already in: a session we just started waits (bounded by
  // --timeout) until someone else has joined, read from the conference state (RFC 4575)
  if (session.group && target.kind === 'group') await someoneElseIn(session, p.timeoutMs);
  const result = await session.send(text, { successReport: true });
  line(io.err, `delivered: ${result.status}`);
  if (result.status !== 200) {
    await session.leave({ anonymous: !!f.anonymous });
    return EXIT_FAILURE;
  }
  let code = EXIT_OK;
  if (f.waitReply) {
    const t = timeoutAfter(p.timeoutMs);
    const got = await Promise.race([reply, ended, t.promise, io.interrupted.then(() => 'interrupted' as const)]);
    t.cancel();
    if (typeof got === 'object') line(io.out, got.text);
    else {
      line(io.err, got === 'timeout' ? `imedge chat: no reply within ${p.timeoutMs / 1000} s` : `imedge chat: session ${got} before a reply`);
      code = EXIT_FAILURE;
    }
  }
  await session.leave({ anonymous: !!f.anonymous });
  return code;
}

/**
 * Resolves once the conference state shows another participant connected, when the focus
 * serves no conference state (the watch ends), or after ms at the latest.
 */
async function someoneElseIn(session: ImSession, ms: number): Promise<void> {
  let watch;
  try {
    watch = session.subscribeConference();
  } catch {
    return;
  }
  const w = watch;
  w.ready().catch(() => undefined);
  const present = (): boolean => w.roster.some((e) => !e.self && e.status === 'connected');
  if (present()) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      w.off('roster', onRoster);
      w.off('conference-ended', done);
      resolve();
    };
    const onRoster = (): void => {
      if (present()) done();
    };
    const timer = setTimeout(done, ms);
    w.on('roster', onRoster);
    w.on('conference-ended', done);
  });
}

/** Scripted: wait for sessions and messages, print them as JSON lines, --reply to each. */
async function listen(client: ImClient, f: ChatFlags, p: Parsed, io: ChatIo): Promise<number> {
  let received = 0;
  let firstEnded: () => void = () => undefined;
  const onceDone = new Promise<'done'>((r) => (firstEnded = () => r('done')));
  client.on('session', (s) => {
    json(io.out, { event: 'session', peer: s.peer, ...(s.group ? { group: true, identity: s.identity } : {}) });
    printReports(s, io);
    s.on('message', (m) => {
      received++;
      json(io.out, {
        event: 'message', mode: 'session', peer: s.peer, contentType: m.contentType, body: m.body.toString('utf8'),
        ...(m.sender !== undefined ? { sender: m.sender } : {}),
      });
      if (f.reply !== undefined) {
        s.send(f.reply).then(
          (r) => json(io.out, { event: 'sent', status: r.status }),
          (err: Error) => json(io.out, { event: 'error', message: err.message }),
        );
      }
    });
    s.on('ended', (reason) => {
      json(io.out, { event: 'ended', peer: s.peer, reason });
      if (f.once) firstEnded();
    });
  });
  client.on('message', (m: PagerMessage) => {
    received++;
    json(io.out, { event: 'message', mode: m.mode, peer: m.from, contentType: m.contentType, body: m.body.toString('utf8') });
    if (f.reply !== undefined) {
      client.sendMessage(m.from, f.reply).then(
        (r) => json(io.out, { event: 'sent', status: r.status }),
        (err: Error) => json(io.out, { event: 'error', message: err.message }),
      );
    }
    if (f.once) firstEnded();
  });
  json(io.out, { event: 'listening', aor: client.aor, sipPort: client.sipPort });
  // --timeout bounds the wait only when given explicitly with --once; otherwise run until interrupted
  const t = f.once ? timeoutAfter(p.timeoutMs) : undefined;
  const outcome = await Promise.race([onceDone, io.interrupted.then(() => 'interrupted' as const), ...(t ? [t.promise] : [])]);
  t?.cancel();
  if (outcome === 'timeout' && received === 0) {
    line(io.err, `imedge chat: nothing received within ${p.timeoutMs / 1000} s`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/** Interactive: typed lines are sent; /quit, /anonymous, /modify TYPES, /invite USER..., /who. */
async function interactive(client: ImClient, f: ChatFlags, p: Parsed, io: ChatIo): Promise<number> {
  let anonymous = !!f.anonymous;
  // the session typed lines go to: /invite moves it from the 1-1 session to the new group one
  let session = await open(client, p.target as Target, anonymous);
  let endSession: (reason: string) => void = () => undefined;
  const ended = new Promise<string>((r) => (endSession = r));
  const follow = (s: ImSession): void => {
    printReports(s, io);
    s.on('message', (m) => line(io.out, `${speaker(s, m)}> ${m.body.toString('utf8')}`));
    // a replaced session goes on in its successor (OMA IM 7.1.1.6 NOTE: the focus BYEs it)
    s.once('ended', (reason) => {
      if (s === session && reason !== 'replaced') endSession(reason);
    });
    showConference(s, io);
  };
  follow(session);
  if (session.group) line(io.err, `joined group session ${session.identity} (/quit, /who, /anonymous, /modify type,type)`);
  else line(io.err, `connected to ${session.peer} (/quit, /anonymous, /modify type,type, /invite user...)`);
  const rl = readline.createInterface({ input: io.input, terminal: false });
  const done = new Promise<void>((resolve) => {
    rl.on('close', () => resolve());
    rl.on('line', (text) => {
      void (async () => {
        const cmd = text.trim();
        if (cmd === '/quit') return rl.close();
        if (cmd === '/anonymous') {
          anonymous = !anonymous;
          // kept on the session: every later BYE or re-INVITE of it carries Privacy: id
          session.anonymous = anonymous;
          return line(io.err, `anonymous ${anonymous ? 'on' : 'off'} (applies to leaving)`);
        }
        if (cmd === '/who') {
          const w = session.conference;
          if (!session.group) return line(io.err, '/who: only a group session has a roster');
          if (w === undefined || !w.known) return line(io.err, w?.state === 'terminated' ? '/who: no conference state from this focus' : '/who: the roster has not arrived yet');
          return line(io.out, `in this chat: ${names(w.roster)}`);
        }
        if (cmd === '/invite' || cmd.startsWith('/invite ')) {
          const users = cmd.slice('/invite'.length).trim().split(/[,\s]+/).filter(Boolean);
          if (users.length === 0) return line(io.err, 'usage: /invite user [user...]');
          if (session.group) return line(io.err, 'cannot /invite here: only a 1-1 session can be extended to a group (OMA IM 7.1.1.6)');
          const old = session;
          try {
            const group = await old.inviteMore(users, { anonymous });
            session = group;
            follow(group);
            line(io.err, `extended to group session ${group.identity}`);
          } catch (err) {
            line(io.err, `invite failed: ${describe(err)}`);
            if (old.ended && old === session) endSession(old.endedBy ?? 'msrp-lost');
          }
          return;
        }
        if (cmd.startsWith('/modify')) {
          const types = cmd.slice('/modify'.length).trim().split(/[,\s]+/).filter(Boolean);
          if (types.length === 0) return line(io.err, 'usage: /modify text/plain,message/cpim');
          try {
            await session.modify({ acceptTypes: types });
            line(io.err, `modified: accept-types ${types.join(' ')}`);
          } catch (err) {
            line(io.err, `modify failed: ${describe(err)}`);
          }
          return;
        }
        if (!text) return;
        try {
          const r = await session.send(text, { successReport: true });
          line(io.err, `delivered: ${r.status}`);
        } catch (err) {
          line(io.err, `send failed: ${describe(err)}`);
        }
      })();
    });
  });
  const why = await Promise.race([done.then(() => 'quit'), ended, io.interrupted.then(() => 'interrupted')]);
  rl.close();
  if (why === 'quit' || why === 'interrupted') {
    const status = await session.leave({ anonymous });
    line(io.err, `left (BYE ${status})`);
    rejoinHint(client, session, f, io);
    return status === 200 ? EXIT_OK : EXIT_FAILURE;
  }
  line(io.err, `session ended: ${why}`);
  rejoinHint(client, session, f, io);
  return why === 'bye-received' ? EXIT_OK : EXIT_FAILURE;
}

/** OMA IM 7.1.1.9: a group session left or lost can be rejoined while its identity is stored. */
function rejoinHint(client: ImClient, s: ImSession, f: ChatFlags, io: ChatIo): void {
  if (!s.group || !client.rejoinable().some((e) => e.sessionId === s.identity)) return;
  const store = f.storeFile !== undefined ? ` --store-file ${f.storeFile}` : '';
  line(io.err, `to rejoin: imedge chat --user ${f.user} --rejoin '${s.identity}'${store}${store ? '' : ' (needs --store-file to outlive this process)'}`);
}
