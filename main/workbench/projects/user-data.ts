/**
 * The app's own folder (not a project): the list of recent projects and the copy of
 * the sample project. `$CLWB_HOME` when set (tests, portable installs); Electron
 * passes app.getPath('userData'); headless it is the platform's data folder.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJsonAtomic } from '../files.ts';
import { checkSchema, type RecentProject, type Schema } from '../api/contract.ts';

/** resources/sample-project in the repository (and beside out/ in a build). */
export const SAMPLE_PROJECT_SOURCE = fileURLToPath(new URL('../../../resources/sample-project', import.meta.url));

export function defaultUserDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLWB_HOME) return path.resolve(env.CLWB_HOME);
  if (process.platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'clwb');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'clwb');
  const dataHome = env.XDG_DATA_HOME ? path.resolve(env.XDG_DATA_HOME) : path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'clwb');
}

/**
 * The user's copy of the sample project, made from `source` on first use (the bundled
 * copy is never written to). Returns its folder.
 */
export async function ensureSampleProject(userDataDir: string, source = SAMPLE_PROJECT_SOURCE): Promise<string> {
  const target = path.join(userDataDir, 'projects', 'sample-project');
  try {
    await fs.access(path.join(target, 'project.json'));
    return target;
  } catch {
    // Not there yet (or removed by the user): copy it.
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const staging = `${target}.${process.pid}.tmp`;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.cp(source, staging, { recursive: true, errorOnExist: true, force: false });
  try {
    await fs.rename(staging, target);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    // Another process made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return target;
}

const RECENT_SCHEMA: Schema = {
  type: 'object',
  properties: {
    schemaVersion: { type: 'const', value: 1 },
    kind: { type: 'const', value: 'clwb-recent-projects' },
    projects: {
      type: 'array',
      maxItems: 100,
      items: { type: 'object', properties: { path: { type: 'string', minLength: 1 }, name: { type: 'string' }, openedAt: { type: 'string' } }, required: ['path', 'name', 'openedAt'] },
    },
  },
  required: ['schemaVersion', 'kind', 'projects'],
};

/** The recent-projects list (most recent first, at most `limit`). An unreadable list is reported once and left as it is. */
export class RecentProjects {
  private broken: string | undefined;

  constructor(
    readonly file: string,
    private readonly limit = 12,
  ) {}

  async list(): Promise<RecentProject[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      this.broken = (error as Error).message;
      return [];
    }
    try {
      const value = JSON.parse(text) as { projects: RecentProject[] };
      const problems = checkSchema(RECENT_SCHEMA, value);
      if (problems.length > 0) throw new Error(`${problems[0].path} ${problems[0].message}`);
      this.broken = undefined;
      return value.projects;
    } catch (error) {
      if (this.broken === undefined) console.error(`clwb: ${this.file} cannot be read (${(error as Error).message}); recent projects are not remembered until it is fixed or removed.`);
      this.broken = (error as Error).message;
      return [];
    }
  }

  async add(entry: { path: string; name: string }): Promise<RecentProject[]> {
    const current = await this.list();
    if (this.broken !== undefined) return current;
    const next = [{ ...entry, openedAt: new Date().toISOString() }, ...current.filter((item) => item.path !== entry.path)].slice(0, this.limit);
    await writeJsonAtomic(this.file, { schemaVersion: 1, kind: 'clwb-recent-projects', projects: next });
    return next;
  }
}
