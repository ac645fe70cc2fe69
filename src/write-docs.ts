import { writeFile } from 'node:fs/promises';
import { generatedDocs } from './generated-docs.js';

/** `npm run docs`: writes the files generated from declarations (the phone machine, the steps, the schema). */
for (const d of generatedDocs()) {
  await writeFile(new URL(`../../${d.path}`, import.meta.url), d.content);
  process.stdout.write(`wrote ${d.path}\n`);
}
