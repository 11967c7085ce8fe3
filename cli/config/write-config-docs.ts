import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configTable, envExample, replaceBetweenMarkers } from './config-docs.ts';

const root = join(import.meta.dirname, '../..');
const readme = join(root, 'README.md');
await writeFile(readme, replaceBetweenMarkers(await readFile(readme, 'utf8'), configTable()));
await writeFile(join(root, '.env.example'), envExample());
console.log('README.md configuration table and .env.example regenerated');
