import { readFileSync, openSync } from 'node:fs';
import { decodeReview } from '/work/wt/perf/dist/review/envelope.js';
import { encodeResponse } from '/work/wt/perf/dist/review/response.js';
import { mutate, validate } from '/work/wt/perf/dist/decide/engine.js';
import { loadSnapshot } from '/work/wt/perf/dist/cluster/snapshot.js';
import { parseConfig } from '/work/wt/perf/dist/config/config.js';
import { createMetrics } from '/work/wt/perf/dist/server/metrics.js';
import pino from 'pino';
const snap = await loadSnapshot([process.argv[2]]);
const state = snap.state;
const config = parseConfig(undefined);
const size = process.argv[3] ?? '5k';
const mk = (ep) =>
  JSON.stringify({
    kind: 'AdmissionReview',
    apiVersion: 'admission.k8s.io/v1',
    request: {
      uid: 'u1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'x' },
      object: JSON.parse(readFileSync(`/work/wt/perf/bench/transport/fixtures/pod-${size}-${ep}.json`, 'utf8')),
      oldObject: null,
      dryRun: false,
    },
  });
const metrics = createMetrics(state);
const log = pino({ level: 'info' }, pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }));
const N = 20000;
function time(name, f) {
  for (let i = 0; i < 2000; i++) f();
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f();
  console.log(name.padEnd(40), (Number(process.hrtime.bigint() - t) / N / 1000).toFixed(2), 'µs');
}
for (const ep of ['mutate', 'validate']) {
  const body = mk(ep);
  const req = decodeReview(body);
  time(`${ep} JSON.parse`, () => JSON.parse(body));
  time(`${ep} decodeReview`, () => decodeReview(body));
  time(`${ep} decide`, () => (ep === 'mutate' ? mutate : validate)(req, state, config));
  const r = (ep === 'mutate' ? mutate : validate)(req, state, config);
  time(`${ep} encodeResponse+stringify`, () => JSON.stringify(encodeResponse(req.uid, r)));
  time(`${ep} metrics`, () => {
    const end = metrics.duration.startTimer({ endpoint: ep });
    metrics.requests.inc({ endpoint: ep, kind: 'Pod', result: 'patched' });
    end();
  });
  time(`${ep} log line`, () =>
    log.info(
      { uid: req.uid, endpoint: ep, kind: 'Pod', namespace: req.namespace, name: req.name, operation: req.operation, outcome: 'patched' },
      'admitted',
    ),
  );
}
