/**
 * Ready experiment files shipped in recipes/ (each names the paper whose protocol it follows).
 * `clwb recipes` lists them, `clwb run recipe:<id>` runs one, and the designer's recipe
 * gallery opens them as graphs (`catalogue.recipes`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Recipe } from './api/contract.ts';

export const RECIPES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../recipes');

export interface RecipeInfo {
  id: string;
  name: string;
  description: string;
  file: string;
}

async function recipeFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith('.json')).sort();
}

export async function listRecipes(dir = RECIPES_DIR): Promise<RecipeInfo[]> {
  return Promise.all(
    (await recipeFiles(dir)).map(async (name) => {
      const file = path.join(dir, name);
      const document = JSON.parse(await fs.readFile(file, 'utf8')) as { name?: string; description?: string };
      return { id: name.replace(/\.json$/, ''), name: document.name ?? name, description: document.description ?? '', file };
    }),
  );
}

/** Every recipe with its experiment file. A recipe that does not parse is left out with a message on stderr. */
export async function readRecipes(dir = RECIPES_DIR): Promise<Recipe[]> {
  const recipes: Recipe[] = [];
  for (const name of await recipeFiles(dir)) {
    const file = path.join(dir, name);
    try {
      const spec = JSON.parse(await fs.readFile(file, 'utf8')) as Recipe['spec'];
      const document = (typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? spec : {}) as { name?: unknown; description?: unknown };
      recipes.push({
        id: name.replace(/\.json$/, ''),
        name: typeof document.name === 'string' ? document.name : name,
        description: typeof document.description === 'string' ? document.description : '',
        spec,
      });
    } catch (error) {
      console.error(`clwb: cannot read the recipe ${file}: ${(error as Error).message}`);
    }
  }
  return recipes;
}
