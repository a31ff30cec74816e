import { readFileSync } from 'node:fs';
import { decodeReview } from '/work/wt/perf/dist/review/envelope.js';
import { mutate, validate } from '/work/wt/perf/dist/decide/engine.js';
import { loadSnapshot } from '/work/wt/perf/dist/cluster/snapshot.js';
import { parseConfig } from '/work/wt/perf/dist/config/config.js';
const snap = await loadSnapshot([process.argv[2]]);
const state = snap.state;
const config = parseConfig(undefined);
const ep = process.argv[3];
const body = JSON.stringify({
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
const req = decodeReview(body);
const f = ep === 'mutate' ? mutate : validate;
const t = process.hrtime.bigint();
for (let i = 0; i < 300000; i++) f(req, state, config);
console.log(Number(process.hrtime.bigint() - t) / 300000 / 1000, 'µs');
console.log(JSON.stringify(f(req, state, config)).slice(0, 600));
