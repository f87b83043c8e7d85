/**
 * Dependencies point one way (DESIGN.md, STYLE.md 1): the engine imports nothing of
 * the hosts around it, and the renderer takes only types across the preload
 * boundary. ESLint's no-restricted-imports covers the .ts files; this test also
 * reads .vue files, dynamic imports and `export ... from`, and resolves relative
 * paths instead of matching glob patterns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One module specifier found in a source file. */
interface ImportSite {
  specifier: string;
  /** True when only types are imported, so nothing crosses at run time. */
  typeOnly: boolean;
  line: number;
}

/** A forbidden import, described for the failure message. */
interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

/** The folders one layer must not reach, relative to the repository root. */
interface Rule {
  /** Folders (repository-relative, `/`-separated) that may not be imported. */
  forbiddenFolders: string[];
  /** Bare module names that may not be imported: exact, or as `name/...`. */
  forbiddenPackages: string[];
  /** Also forbid Node built-ins (`node:*` and bare `fs`, `path` ...). */
  forbidNodeBuiltins: boolean;
  /** Type-only imports are allowed (they vanish at build time). */
  allowTypeOnly: boolean;
}

const engineRule: Rule = {
  forbiddenFolders: ['main/workbench', 'main/app', 'main/cli', 'main/worker', 'renderer', 'preload'],
  forbiddenPackages: ['electron'],
  forbidNodeBuiltins: false,
  allowTypeOnly: false,
};

const rendererRule: Rule = {
  forbiddenFolders: ['main', 'preload'],
  forbiddenPackages: ['electron'],
  forbidNodeBuiltins: true,
  allowTypeOnly: true,
};

const nodeBuiltins = new Set(builtinModules);

/** Every import, re-export and dynamic import in a TypeScript source text. */
function findImports(source: string, fileName = 'source.ts'): ImportSite[] {
  const sourceFile = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const sites: ImportSite[] = [];
  const add = (literal: ts.Expression, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(literal)) return;
    const line = sourceFile.getLineAndCharacterOfPosition(literal.getStart()).line + 1;
    sites.push({ specifier: literal.text, typeOnly, line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, isTypeOnlyImport(node));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((element) => element.isTypeOnly)));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      // `typeof import('x')` in a type position: types only.
      add(node.argument.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return sites;
}

/** `import type {...}`, or `import { type A, type B }` with nothing else: erased at build time. */
function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  // A side-effect import (`import 'x'`) runs the module.
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** The `<script>` blocks of a Vue single-file component; everything else blanked so line numbers stay true. */
function vueScripts(source: string): string {
  let scripts = source.replace(/[^\n]/g, ' ');
  for (const match of source.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    const content = match[1] ?? '';
    const start = (match.index ?? 0) + match[0].indexOf('>') + 1;
    scripts = scripts.slice(0, start) + content + scripts.slice(start + content.length);
  }
  return scripts;
}

/**
 * The violations of `rule` in one file's source.
 *
 * @param file repository-relative path of the importing file (for resolving relative specifiers)
 */
function checkSource(file: string, source: string, rule: Rule): Violation[] {
  const script = file.endsWith('.vue') ? vueScripts(source) : source;
  const violations: Violation[] = [];
  for (const site of findImports(script, file.endsWith('.vue') ? `${file}.ts` : file)) {
    if (site.typeOnly && rule.allowTypeOnly) continue;
    const reason = forbiddenReason(file, site.specifier, rule);
    if (reason) violations.push({ file, line: site.line, specifier: site.specifier, reason });
  }
  return violations;
}

function forbiddenReason(file: string, rawSpecifier: string, rule: Rule): string | undefined {
  // Vite suffixes (`?modulePath`, `?raw`) do not change which file is imported.
  const specifier = rawSpecifier.replace(/[?#].*$/, '');
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const target = relative(repositoryRoot, resolve(repositoryRoot, dirname(file), specifier)).split(sep).join('/');
    const folder = rule.forbiddenFolders.find((forbidden) => target === forbidden || target.startsWith(`${forbidden}/`));
    return folder ? `resolves into ${folder}/ (${target})` : undefined;
  }
  const packageName = rule.forbiddenPackages.find((name) => specifier === name || specifier.startsWith(`${name}/`));
  if (packageName) return `imports ${packageName}`;
  if (rule.forbidNodeBuiltins && (specifier.startsWith('node:') || nodeBuiltins.has(specifier.split('/')[0] ?? ''))) {
    return 'imports a Node built-in';
  }
  return undefined;
}

/** Repository-relative paths of the files under `folder` whose names end with one of `extensions`. */
function walk(folder: string, extensions: string[]): string[] {
  const absolute = join(repositoryRoot, folder);
  let entries;
  try {
    entries = readdirSync(absolute, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && extensions.some((extension) => entry.name.endsWith(extension)))
    .map((entry) => relative(repositoryRoot, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .filter((file) => !file.split('/').includes('node_modules'))
    .sort();
}

function checkFolder(folder: string, extensions: string[], rule: Rule): { files: string[]; violations: Violation[] } {
  const files = walk(folder, extensions);
  const violations = files.flatMap((file) => checkSource(file, readFileSync(join(repositoryRoot, file), 'utf8'), rule));
  return { files, violations };
}

function describeViolations(violations: Violation[]): string[] {
  return violations.map((violation) => `${violation.file}:${violation.line} '${violation.specifier}' ${violation.reason}`);
}

describe('import direction', () => {
  it('main/engine imports nothing of workbench, app, cli, worker, renderer or electron', () => {
    const { files, violations } = checkFolder('main/engine', ['.ts'], engineRule);
    expect(files.length).toBeGreaterThan(0);
    expect(describeViolations(violations)).toEqual([]);
  });

  it('the renderer imports only types from main/ and preload/, and no Node built-ins', () => {
    const { files, violations } = checkFolder('renderer', ['.ts', '.vue'], rendererRule);
    expect(files.length).toBeGreaterThan(0);
    expect(describeViolations(violations)).toEqual([]);
  });
});

describe('import direction detector (self-check: the rules above can fail)', () => {
  it('flags engine imports into the host layers, whatever the form', () => {
    const source = [
      "import { ProjectStore } from '../workbench/store.ts';",
      "import type { Channel } from '../app/bridge.ts';",
      "export * from '../cli/index.ts';",
      "export { start } from '../../main/worker/index.ts';",
      "const view = await import('../../renderer/src/main.ts');",
      "import { app } from 'electron';",
      "import 'electron/main';",
      "import workerPath from '../worker/index.ts?modulePath';",
    ].join('\n');
    const found = checkSource('main/engine/example.ts', source, engineRule);
    expect(found.map((violation) => violation.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('lets the engine import its own modules, tfjs and Node built-ins', () => {
    const source = [
      "import * as tf from '@tensorflow/tfjs';",
      "import { readFile } from 'node:fs/promises';",
      "import { WorkbenchError } from '../errors.ts';",
      // A name that merely starts like a forbidden folder is not inside it.
      "import { x } from './application.ts';",
    ].join('\n');
    expect(checkSource('main/engine/data/example.ts', source, engineRule)).toEqual([]);
  });

  it('flags runtime imports from main/, preload/, electron and Node in the renderer, but not type imports', () => {
    const source = [
      "import { Channels } from '../../main/app/bridge.ts';",
      "import type { BackendInfo } from '../../main/app/bridge.ts';",
      "import { type WorkbenchBridge } from '../../preload/index.ts';",
      "import '../../preload/index.ts';",
      "import { readFile } from 'node:fs';",
      "import path from 'path';",
      "import { ipcRenderer } from 'electron';",
      "export type { BackendInfo } from '../../main/app/bridge.ts';",
      "const engine = import('../../main/engine/index.ts');",
      "import { ref } from 'vue';",
    ].join('\n');
    const found = checkSource('renderer/src/example.ts', source, rendererRule);
    expect(found.map((violation) => violation.line)).toEqual([1, 4, 5, 6, 7, 9]);
  });

  it('reads the script blocks of .vue files and reports their real line numbers', () => {
    const source = [
      '<template><p>{{ text }}</p></template>',
      '<script setup lang="ts">',
      "import { ref } from 'vue';",
      "import { Channels } from '../../main/app/bridge.ts';",
      '</script>',
    ].join('\n');
    const found = checkSource('renderer/src/Example.vue', source, rendererRule);
    expect(found).toEqual([
      { file: 'renderer/src/Example.vue', line: 4, specifier: '../../main/app/bridge.ts', reason: 'resolves into main/ (main/app/bridge.ts)' },
    ]);
  });
});
