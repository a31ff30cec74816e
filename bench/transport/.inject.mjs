import { readFileSync, openSync } from 'node:fs';
import Fastify from 'fastify';
import pino from 'pino';
import { buildApp } from '/work/wt/perf/dist/server/app.js';
import { loadSnapshot } from '/work/wt/perf/dist/cluster/snapshot.js';
import { parseConfig } from '/work/wt/perf/dist/config/config.js';
const snap = await loadSnapshot(['/tmp/perf/state.json']);
const size = process.argv[2] ?? '5k';
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
const devnull = pino.destination({ dest: openSync('/dev/null', 'w'), sync: true });
const variants = {
  'wasmgate info': buildApp({ config: parseConfig(undefined), state: snap.state, logger: { level: 'info', stream: devnull } }).app,
  'wasmgate warn': buildApp({ config: parseConfig(undefined), state: snap.state, logger: { level: 'warn', stream: devnull } }).app,
};
const nul = Fastify({ logger: false, bodyLimit: 7 * 1024 * 1024 });
nul.removeAllContentTypeParsers();
nul.addContentTypeParser(/^application\/json(;.*)?$/i, { parseAs: 'string' }, (_r, b, d) => d(null, b));
const answer = async (request, reply) => {
  const review = JSON.parse(request.body);
  return reply
    .code(200)
    .send({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
};
nul.post('/mutate', answer);
nul.post('/validate', answer);
variants['null'] = nul;
const N = 4000;
for (const ep of ['mutate', 'validate']) {
  const payload = mk(ep);
  for (let round = 0; round < 2; round++)
    for (const [name, app] of Object.entries(variants)) {
      for (let i = 0; i < 500; i++)
        await app.inject({ method: 'POST', url: `/${ep}`, payload, headers: { 'content-type': 'application/json' } });
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) {
        const r = await app.inject({ method: 'POST', url: `/${ep}`, payload, headers: { 'content-type': 'application/json' } });
        if (r.statusCode !== 200) throw new Error(r.body);
      }
      const c = process.cpuUsage(c0);
      if (round === 1) console.log(`${size} ${ep} ${name}`.padEnd(30), ((c.user + c.system) / N).toFixed(1), 'µs CPU/request (inject)');
    }
}
