/**
 * Ready experiment files shipped in recipes/ (each names the paper whose protocol it follows).
 * `clwb recipes` lists them; `clwb run recipe:<id>` and `clwb validate recipe:<id>` use one directly.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkbenchError } from '../engine/errors.ts';

export const RECIPES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../recipes');
const PREFIX = 'recipe:';

export interface RecipeInfo {
  id: string;
  name: string;
  description: string;
  file: string;
}

export async function listRecipes(): Promise<RecipeInfo[]> {
  const names = (await fs.readdir(RECIPES_DIR)).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(RECIPES_DIR, name);
      const document = JSON.parse(await fs.readFile(file, 'utf8')) as { name?: string; description?: string };
      return { id: name.replace(/\.json$/, ''), name: document.name ?? name, description: document.description ?? '', file };
    }),
  );
}

/** Maps `recipe:<id>` to the recipe's file; other arguments are returned unchanged. */
export async function resolveExperimentArgument(argument: string): Promise<string> {
  if (!argument.startsWith(PREFIX)) return argument;
  const id = argument.slice(PREFIX.length);
  const recipes = await listRecipes();
  const recipe = recipes.find((r) => r.id === id);
  if (!recipe) throw new WorkbenchError('UNKNOWN_ID', `Unknown recipe "${id}" (known: ${recipes.map((r) => r.id).join(', ')})`, { path: argument });
  return recipe.file;
}
