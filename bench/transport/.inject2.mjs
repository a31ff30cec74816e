import { readFileSync, openSync } from 'node:fs';
import pino from 'pino';
import { buildApp } from '/work/wt/perf/dist/server/app.js';
import { loadSnapshot } from '/work/wt/perf/dist/cluster/snapshot.js';
import { parseConfig } from '/work/wt/perf/dist/config/config.js';
const snap = await loadSnapshot(['/tmp/perf/state.json']);
const ep = process.argv[2] ?? 'validate';
const payload = JSON.stringify({
  kind: 'AdmissionReview',
  apiVersion: 'admission.k8s.io/v1',
  request: {
    uid: 'u1',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    namespace: 'shop',
    operation: 'CREATE',
    userInfo: { username: 'x' },
    object: JSON.parse(readFileSync(`/work/wt/perf/bench/transport/fixtures/pod-5k-${ep}.json`, 'utf8')),
    oldObject: null,
    dryRun: false,
  },
});
const app = buildApp({
  config: parseConfig(undefined),
  state: snap.state,
  logger: { level: 'warn', stream: pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }) },
}).app;
const { Session } = await import('node:inspector/promises');
for (let i = 0; i < 2000; i++)
  await app.inject({ method: 'POST', url: `/${ep}`, payload, headers: { 'content-type': 'application/json' } });
const s = new Session();
s.connect();
await s.post('Profiler.enable');
await s.post('Profiler.setSamplingInterval', { interval: 50 });
await s.post('Profiler.start');
for (let i = 0; i < 20000; i++)
  await app.inject({ method: 'POST', url: `/${ep}`, payload, headers: { 'content-type': 'application/json' } });
const { profile } = await s.post('Profiler.stop');
(await import('node:fs')).writeFileSync('/tmp/perf/inject.cpuprofile', JSON.stringify(profile));
