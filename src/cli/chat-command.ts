// `imedge chat`: its options only. The command itself (and the client library under it) is
// loaded when chat runs, so that `imedge serve` does not carry the client in its heap.
import type { Command } from 'commander';

/** Adds `imedge chat` to the program. */
export function registerChatCommand(program: Command): void {
  program
    .command('chat')
    .description('IM client: chat with a peer through the server (interactive or scripted)')
    .option('--user <name>', 'our user name (sip:<user>@<domain>)')
    .option('--password <p>', 'digest password (visible in ps: prefer --password-file)')
    .option('--password-file <file>', 'read the password from the first line of this file')
    .option('--server <host:port>', 'the imedge server', '127.0.0.1:5060')
    .option('--domain <d>', 'SIP domain', 'localhost')
    .option('--transport <t>', 'udp or tcp', 'udp')
    .option('--to <peer>', 'who to chat with (user, user@domain or a SIP URI)')
    .option('--group <users>', 'start an ad-hoc group session with these users (comma-separated)')
    .option('--join <group-id>', 'start or join the session of a pre-defined group (sip:<group-id>@<domain>)')
    .option('--rejoin <identity>', 'rejoin a group session by its stored IM Session Identity (see --store-file)')
    .option('--max-adhoc-group-size <n>', 'MAX-ADHOC-GROUP-SIZE: most users an ad-hoc group may invite', '10')
    .option('--send <text>', 'send this one message, then leave')
    .option('--wait-reply', 'with --send: print the first reply before leaving')
    .option('--page', 'with --send: no session; page-mode MESSAGE (large message mode above 1300 bytes)')
    .option('--timeout <s>', 'seconds to wait for a reply (--wait-reply) or for traffic (--listen --once)', '10')
    .option('--listen', 'wait for incoming sessions and messages; print them as JSON lines')
    .option('--reply <text>', 'with --listen: answer every message with this text')
    .option('--once', 'with --listen: exit after the first session ends (or the first page message)')
    .option('--anonymous', 'leave (and invite) with Privacy: id')
    .option('--no-register', 'do not REGISTER first (talking to a peer client directly)')
    .option('--local-host <addr>', 'address our SIP and MSRP listeners use', '127.0.0.1')
    .option('--sip-port <n>', 'our SIP port (0 = any free port)', '0')
    .option('--store-file <file>', 'JSON file keeping the IM Session Identities of group sessions for rejoin')
    .action(async (flags: import('./chat').ChatFlags) => {
      const interrupted = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      // the client library loads only for this command: `serve` never pays for it
      const { runChat } = await import('./chat');
      const code = await runChat(flags, { out: process.stdout, err: process.stderr, input: process.stdin, interrupted });
      // let stdout drain to a pipe before leaving
      process.stdout.write('', () => process.exit(code));
    });
}
