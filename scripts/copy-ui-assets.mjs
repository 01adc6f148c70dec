// Copies the /ui page's HTML and stylesheet beside its compiled script in dist/ui (part of npm run build).
import { copyFileSync, mkdirSync } from 'node:fs';

const from = new URL('../ui/', import.meta.url);
const to = new URL('../dist/ui/', import.meta.url);
mkdirSync(to, { recursive: true });
for (const file of ['index.html', 'ui.css']) copyFileSync(new URL(file, from), new URL(file, to));
