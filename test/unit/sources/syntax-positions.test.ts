// Syntax errors point at the mistake: YAML at the line where it is (an unclosed bracket or quote at
// its opening, not where the parser noticed), JSON at line and column.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/registry/diagnostics.js';
import { convertRegistryText } from '../../../src/sources/registry-documents.js';
import { splitJsonList } from '../../../src/sources/json-outline.js';

const diagnosticsOf = (file: string, text: string) => convertRegistryText(file, text).diagnostics.map(formatDiagnostic);

describe('YAML syntax errors are reported at the line of the mistake', () => {
  it.each([
    ['a flow mapping left open on line 3', 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1\n  db: { clusterIP: 10.96.0.2 }\n',
      ['z.yaml:3:8: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']],
    ['a flow sequence left open at the end of the file', 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.1, ports: [http:80\n',
      ['z.yaml:3:39: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
        'z.yaml:3:8: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']],
    ['a quote left open on line 1', 'namespace: "shop\nservices: {}\n',
      ['z.yaml:1:12: invalid YAML: Missing closing "quote']],
    ['a duplicate key (reported at the second one)', 'namespace: shop\nservices:\n  web: {clusterIP: 10.96.0.1}\n  web: {clusterIP: 10.96.0.2}\n',
      ['z.yaml:4:3: invalid YAML: Map keys must be unique']],
    ['a duplicate key inside a flow mapping', 'namespace: shop\nservices:\n  web: {clusterIP: 10.96.0.1, clusterIP: 10.96.0.2}\n',
      ['z.yaml:3:31: invalid YAML: Map keys must be unique']],
    ['a line indented under a scalar', 'namespace: shop\n  services: {}\n',
      ['z.yaml:2:3: invalid YAML: Implicit keys need to be on a single line']],
    ['a tab as indentation', 'namespace: shop\nservices:\n\tweb: {clusterIP: 10.96.0.1}\n',
      ['z.yaml:3:1: invalid YAML: Tabs are not allowed as indentation']],
    ['an alias to no anchor', 'namespace: shop\nservices:\n  web: *nope\n',
      ['z.yaml:3:8: invalid YAML: Unresolved alias (the anchor must be set before the alias): nope']],
    ['a mistake in the third document', 'namespace: a\n---\nnamespace: b\n---\nnamespace: c\nservices: [\n',
      ['z.yaml:6:11: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']],
  ])('%s', (_, text, expected) => {
    expect(diagnosticsOf('z.yaml', text)).toEqual(expected);
  });

  it('counts lines from the start of the file inside a large kubectl List parsed item by item', () => {
    const item = (i: number) => `- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s${i}\n    namespace: shop\n  spec:\n    clusterIP: 10.96.${i >> 8}.${i & 255}\n`;
    const items = Array.from({ length: 3000 }, (_, i) => item(i));
    items[2000] = item(2000).replace('clusterIP: 10.96', 'clusterIP: [10.96');
    const text = `apiVersion: v1\nitems:\n${items.join('')}kind: List\nmetadata:\n  resourceVersion: ""\n`;
    expect(text.length).toBeGreaterThan(256 * 1024);
    const line = 3 + 2000 * 7 + 6;
    expect(diagnosticsOf('big.yaml', text)).toEqual([`big.yaml:${line}:16: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`]);
  });
});

describe('JSON syntax errors are reported at line and column', () => {
  it.each([
    ['two commas', '{\n  "namespace": "shop",\n  "services": {\n    "web": { "clusterIP": "10.96.0.1" },,\n  }\n}\n', "z.json:4:41: invalid JSON: unexpected ',' (expected a double-quoted property name)"],
    ['a missing brace at the end (just past the last character)', '{\n  "namespace": "shop"\n\n', "z.json:2:22: invalid JSON: unexpected end of input (expected ',' or '}')"],
    ['a bare word', '{"namespace": shop}', "z.json:1:15: invalid JSON: unexpected 's' (expected a value)"],
    ['a string broken by a newline', '{\n  "namespace": "sh\nop"\n}', 'z.json:2:16: invalid JSON: unterminated string (a newline inside quotes)'],
  ])('%s', (_, text, expected) => {
    expect(diagnosticsOf('z.json', text)).toEqual([expected]);
  });

  it('gives field errors in a JSON List the line of the field, found without parsing the whole file as YAML', () => {
    const text = [
      '{"apiVersion": "v1", "kind": "List", "items": [',
      '  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "shop"}, "spec": {"clusterIP": "10.96.0.1"}},',
      '  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b", "namespace": "shop"},',
      '   "spec": {"clusterIP": "10.96.0.300"}}',
      ']}',
    ].join('\n');
    const { input, diagnostics } = convertRegistryText('l.json', text);
    expect(diagnostics.map(formatDiagnostic)).toEqual(['l.json:4: spec.clusterIP: "10.96.0.300" is not an IP address']);
    expect(input.services.map((s) => [s.name, s.origin])).toEqual([['a', { file: 'l.json', line: 2 }]]);
  });
});

describe('a large JSON kubectl List, parsed item by item', () => {
  /** As `kubectl get -A -o json` prints it: two-space indents, one field per line. */
  const itemText = (i: number, clusterIP = `10.96.${i >> 8}.${i & 255}`) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'shop', annotations: { note: 'a "quoted" }] word' } }, spec: { clusterIP, ports: [{ name: 'http', port: 80 }] } }, null, 2)
      .split('\n').map((l) => `    ${l}`).join('\n');
  const list = (items: string[], separator = ',\n') => `{\n  "apiVersion": "v1",\n  "items": [\n${items.join(separator)}\n  ],\n  "kind": "List",\n  "metadata": {\n    "resourceVersion": ""\n  }\n}\n`;
  const linesPerItem = itemText(0).split('\n').length;
  const many = (n: number) => Array.from({ length: n }, (_, i) => itemText(i));

  it('converts every item with the line of its opening brace, as the whole-file parse does', () => {
    const text = list(many(1200));
    expect(text.length).toBeGreaterThan(256 * 1024);
    const { input, diagnostics, syntaxError } = convertRegistryText('big.json', text);
    expect({ diagnostics, syntaxError }).toEqual({ diagnostics: [], syntaxError: false });
    expect(input.services).toHaveLength(1200);
    expect(input.services[1000]).toMatchObject({ name: 's1000', namespace: 'shop', clusterIPs: ['10.96.3.232'], origin: { file: 'big.json', line: 4 + 1000 * linesPerItem } });
    // The same text below the split size goes through the whole-file parse: same origins.
    const small = list(many(3));
    expect(convertRegistryText('small.json', small).input.services.map((s) => s.origin.line)).toEqual([4, 4 + linesPerItem, 4 + 2 * linesPerItem]);
  });

  it('gives a field error inside one item the line of the field, and keeps the other items', () => {
    const items = many(1200);
    items[700] = itemText(700, '10.96.0.300');
    const { input, diagnostics, syntaxError } = convertRegistryText('big.json', list(items));
    const fieldLine = 4 + 700 * linesPerItem + itemText(0).split('\n').findIndex((l) => l.includes('"clusterIP"'));
    expect(diagnostics.map(formatDiagnostic)).toEqual([`big.json:${fieldLine}: spec.clusterIP: "10.96.0.300" is not an IP address`]);
    expect(syntaxError).toBe(false);
    expect(input.services).toHaveLength(1199);
  });

  it('reports a syntax error inside an item at its line and column, as a syntax error of the file', () => {
    const items = many(1200);
    items[900] = items[900]!.replace('"port": 80', '"port": 80,,');
    const text = list(items);
    const offset = text.indexOf(',,');
    const line = text.slice(0, offset).split('\n').length;
    const column = offset - text.lastIndexOf('\n', offset - 1);
    expect(splitJsonList(text)).toBeDefined(); // the item-by-item path, not the whole-file parse
    const { diagnostics, syntaxError } = convertRegistryText('big.json', text);
    expect(syntaxError).toBe(true);
    expect(diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([`big.json:${line}:${column + 1}: invalid JSON: unexpected ',' (expected a double-quoted property name)`]);
  });

  it('leaves a mistake between items to the whole-file parse, which says where it is', () => {
    const text = list(many(1200), '\n');
    const offset = text.indexOf('{', text.indexOf('}\n    {') + 1);
    const line = text.slice(0, offset).split('\n').length;
    expect(splitJsonList(text)).toBeUndefined();
    const { diagnostics, syntaxError } = convertRegistryText('big.json', text);
    expect(syntaxError).toBe(true);
    expect(diagnostics.map(formatDiagnostic)).toEqual([`big.json:${line}:5: invalid JSON: unexpected '{' (expected ',' or ']')`]);
  });
});

describe('splitJsonList', () => {
  it('finds each item of the items array, skipping brackets inside strings and escaped quotes', () => {
    const text = '{"kind":"List","items":[\n {"a":"x\\"]}"},\n {"b":[1,{"c":2}]}\n],"metadata":{}}';
    const split = splitJsonList(text)!;
    expect(split.items.map((i) => [text.slice(i.start, i.end), i.line])).toEqual([['{"a":"x\\"]}"}', 2], ['{"b":[1,{"c":2}]}', 3]]);
    expect(JSON.parse(split.envelope)).toEqual({ kind: 'List', items: [], metadata: {} });
  });

  it.each([
    ['no items array', '{"kind":"List","things":[{"a":1}]}'],
    ['an item that is not an object', '{"kind":"List","items":[{"a":1},"b"]}'],
    ['a number as an item', '{"kind":"List","items":[{"a":1},2]}'],
    ['two commas between items', '{"kind":"List","items":[{"a":1},,{"b":2}]}'],
    ['a missing comma between items', '{"kind":"List","items":[{"a":1} {"b":2}]}'],
    ['a trailing comma', '{"kind":"List","items":[{"a":1},]}'],
    ['unbalanced brackets', '{"kind":"List","items":[{"a":1}]'],
    ['an empty items array', '{"kind":"List","items":[]}'],
  ])('returns undefined for %s', (_, text) => {
    expect(splitJsonList(text)).toBeUndefined();
  });
});
