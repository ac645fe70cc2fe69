import 'reflect-metadata';
import type { FromShard, ToShard } from './link.js';
import { ShardHost } from './shard.js';

/**
 * The entry point of a shard's child process (dist/link.ts ProcessLink): builds the shard from
 * the first message, then answers requests one at a time over the IPC channel. It exits when its
 * parent goes (the channel disconnects), so no orphan keeps phones on the network.
 */
let host: ShardHost | undefined;
let queue: Promise<void> = Promise.resolve();

const send = (m: FromShard): void => {
  if (process.connected) process.send!(m);
};

process.on('message', (m: ToShard) => {
  queue = queue.then(async () => {
    try {
      if ('setup' in m) {
        host = await ShardHost.create(m.setup, (progress) => send({ id: m.id, progress }));
        send({ id: m.id, reply: { ok: true, status: { notAtRest: 0 } }, manifest: host.manifest });
        return;
      }
      if (!host) throw new Error('the shard was not set up');
      const reply = await host.handle(m.req, (progress) => send({ id: m.id, progress }));
      send({ id: m.id, reply });
      if (m.req.op === 'close') setImmediate(() => process.exit(0));
    } catch (e) {
      send({ id: m.id, failed: { code: (e as { code?: string }).code ?? 'INTERNAL', message: (e as Error)?.message ?? String(e) } });
    }
  });
});
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches the whole process group: the coordinator decides how the run ends, and closes this shard.
process.on('SIGINT', () => undefined);
