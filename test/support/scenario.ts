/** The demo scenario's example files and party ids, shared by the use-case tests. */
import { readFileSync } from 'node:fs';

/** The `examples/` folder (items, scenario parties, the demo control list). */
export const EXAMPLES_ROOT = new URL('../../examples/', import.meta.url);
/** An example file, parsed as JSON. */
export const readExample = (p: string): unknown => JSON.parse(readFileSync(new URL(p, EXAMPLES_ROOT), 'utf8')) as unknown;
export const magnet = readExample('items/ndfeb-45sh-dy-magnet.json');
export const motor = readExample('items/traction-motor.json');
export const TODAY = '2026-11-24';
export const EXPORTER = 'ganzhou-hengyuan-magnetics';
export const IMPORTER = 'chakan-drive-systems';
