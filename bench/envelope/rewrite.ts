/** Rewrite the envelope section of bench/results.md from bench/envelope/results.json (after a report change). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSection } from '../sections.js';
import { envelopeMarkdown, type EnvelopeResults } from './report.js';

const root = join(import.meta.dirname, '..', '..');
const r = JSON.parse(readFileSync(join(root, 'bench', 'envelope', 'results.json'), 'utf8')) as EnvelopeResults;
writeSection(join(root, 'bench', 'results.md'), 'envelope', envelopeMarkdown(r));
