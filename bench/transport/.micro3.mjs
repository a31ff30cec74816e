import { openSync } from 'node:fs';
import pino from 'pino';
const N = 50000;
async function time(name, log) {
  const child = log.child({ reqId: 'req-1' });
  for (let i = 0; i < 5000; i++)
    child.info(
      { uid: 'u', endpoint: 'mutate', kind: 'Pod', namespace: 'shop', name: 'x', operation: 'CREATE', outcome: 'patched' },
      'admitted',
    );
  const t = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    child.info(
      { uid: 'u', endpoint: 'mutate', kind: 'Pod', namespace: 'shop', name: 'x', operation: 'CREATE', outcome: 'patched' },
      'admitted',
    );
    if (i % 16 === 0) await new Promise(setImmediate);
  }
  await new Promise((r) => setTimeout(r, 200));
  const c = process.cpuUsage(c0);
  console.log(name.padEnd(30), ((c.user + c.system) / N).toFixed(2), 'µs CPU/line');
}
await time('sync /dev/null', pino({}, pino.destination({ dest: openSync('/dev/null', 'w'), sync: true })));
await time('async /dev/null', pino({}, pino.destination({ dest: openSync('/dev/null', 'w'), sync: false })));
await time('sync stdout', pino({}, pino.destination({ dest: 1, sync: true })));
await time('async stdout', pino({}, pino.destination({ dest: 1, sync: false })));
await time('level warn (nothing)', pino({ level: 'warn' }, pino.destination({ dest: 1, sync: false })));
