// A phone in a process of its own, for the kill test (test/phones/flash-restart.test.ts): it
// loads its record and flash from the lab, resets, reports its events as JSON lines, and then
// stays alive until killed. Uses the built modules (npm test builds first).
import 'reflect-metadata';
import { resolve } from 'node:path';

const [root, labDir, mac, tftpPort] = process.argv.slice(2);
const { PhoneStore, VirtualPhone } = await import(resolve(root, 'dist/phones/index.js'));
const store = new PhoneStore(labDir);
const record = await store.loadRecord(mac);
const flash = await store.loadFlash(mac);
const phone = new VirtualPhone(record, flash, { store, tftpPort: Number(tftpPort), httpPort: 6970, timeoutMs: 3000 });
phone.events.onAny((e) => process.stdout.write(`${JSON.stringify(e)}\n`));
phone.reset();
await phone.whenIdle();
await phone.flushed();
process.stdout.write('IDLE\n');
setInterval(() => undefined, 1000);
