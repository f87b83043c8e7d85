import { expect, test, type Locator, type Page, type TestInfo } from '@playwright/test';
import { startServe, type ServeHost } from './serve-host.ts';

// The user's path through the workbench UI in a real browser against `clwb serve` (real
// run workers, tiny training): open the sample experiment in the designer, replace its
// strategies by Replay and EWC dragged from the palette, wire them, set a parameter, run,
// watch the live charts fill, compare, export, reload and find everything still there.
// Screenshots of each view in the light and dark themes are kept with the test's output.

test.describe.configure({ mode: 'serial' });

let host: ServeHost | undefined;
let url: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  host = await startServe({ copySampleProject: true });
  url = host.url;
});

test.afterAll(async () => {
  await host?.stop();
});

test.use({ viewport: { width: 1280, height: 800 }, actionTimeout: 20_000 });

/** A full-page screenshot kept with the test's output (and attached to the report). */
async function snap(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  // No hover tooltips in the picture; let the charts draw their last frame (they update once per animation frame).
  await page.mouse.move(640, 795);
  await page.waitForTimeout(400);
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** The centre of an element on the page. */
async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${String(locator)} is not on the page`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a wire from one block's output handle to another's input handle. */
async function connect(page: Page, sourceNode: string, sourceHandle: string, targetNode: string, targetHandle: string): Promise<void> {
  const from = await centre(page.locator(`.vue-flow__handle[data-nodeid="${sourceNode}"][data-handleid="${sourceHandle}"]`));
  const to = await centre(page.locator(`.vue-flow__handle[data-nodeid="${targetNode}"][data-handleid="${targetHandle}"]`));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

/** The number of data points a chart draws (its `data-points`). */
async function points(page: Page, chart: string): Promise<number> {
  return Number(await page.getByTestId(chart).getAttribute('data-points'));
}

/** Drops a palette block onto the canvas at a fraction of its size; returns the new block's id. */
async function dropBlock(page: Page, paletteKey: string, at: { x: number; y: number }): Promise<string> {
  const item = page.getByTestId(`palette-${paletteKey}`);
  await expect(item, `the palette has no "${paletteKey}" block: is that strategy in the catalogue?`).toBeVisible();
  const canvas = page.locator('[data-testid="designer-canvas"] .flow-area');
  const box = (await canvas.boundingBox())!;
  const before = await page.locator('[data-node-id]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-node-id')));
  await item.dragTo(canvas, { targetPosition: { x: box.width * at.x, y: box.height * at.y } });
  await expect.poll(async () => (await page.locator('[data-node-id]').count()) > before.length).toBe(true);
  const after = await page.locator('[data-node-id]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-node-id')));
  const added = after.find((id) => !before.includes(id));
  if (!added) throw new Error(`dropping ${paletteKey} added no block`);
  return added;
}

test('build, run and compare Replay against EWC, then find it all again after a reload', async ({ page }, testInfo) => {
  test.setTimeout(420_000);
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });

  // 1. The designer opens the sample experiment as a graph.
  await page.goto(url);
  await expect(page.getByTestId('designer-view')).toBeVisible();
  await expect(page.getByTestId('block-model')).toBeVisible();
  await expect(page.getByTestId('block-strategy')).toHaveCount(2);
  await snap(page, testInfo, 'designer-sample-light');
  // The recipe gallery lists the shipped protocols (catalogue.recipes).
  await page.getByTestId('open-gallery').click();
  await expect(page.getByTestId('recipe-split-mnist-class-il')).toContainText('van de Ven');
  await expect(page.getByTestId('recipe-online-gem-protocol')).toBeVisible();
  await snap(page, testInfo, 'recipes-light');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('recipe-split-mnist-class-il')).toBeHidden();

  // 2. Replace its strategies: delete Naive and Cumulative (select, Delete), then check the graph says what is missing.
  for (const title of ['Naive (fine-tuning)', 'Cumulative']) {
    await page.locator(`[data-testid="block-strategy"][data-block-title="${title}"]`).click();
    await page.keyboard.press('Delete');
  }
  await expect(page.getByTestId('block-strategy')).toHaveCount(0);
  await expect(page.getByTestId('validity')).toContainText('problem');
  await expect(page.getByTestId('block-model')).toHaveAttribute('data-problems', /[1-9]/);
  // Undo brings them back, redo removes them again.
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('block-strategy')).toHaveCount(1);
  await page.keyboard.press('Control+Shift+z');
  await expect(page.getByTestId('block-strategy')).toHaveCount(0);

  // 3. Drag a Replay and an EWC block from the palette (search finds them), and wire the model to both.
  await page.getByTestId('palette-search').fill('replay');
  const replay = await dropBlock(page, 'strategy:replay', { x: 0.82, y: 0.3 });
  await page.getByTestId('palette-search').fill('ewc');
  const ewc = await dropBlock(page, 'strategy:ewc', { x: 0.82, y: 0.7 });
  await page.getByTestId('palette-search').fill('');
  // Not wired yet: each says so on the block.
  await expect(page.locator(`[data-node-id="${replay}"]`)).toContainText('Not connected to the model');
  const model = (await page.getByTestId('block-model').getAttribute('data-node-id'))!;
  await connect(page, model, 'out:model', replay, 'in:model');
  await connect(page, model, 'out:model', ewc, 'in:model');
  await expect(page.locator(`[data-node-id="${replay}"]`)).toHaveAttribute('data-problems', '0');
  await expect(page.locator(`[data-node-id="${ewc}"]`)).toHaveAttribute('data-problems', '0');

  // 4. Set parameters in the generated properties panel: EWC's Fisher sample (small, for speed) and Replay's memory.
  await page.locator(`[data-node-id="${ewc}"]`).click();
  await expect(page.getByTestId('properties-title')).toHaveText('EWC (Elastic Weight Consolidation)');
  const fisher = page.getByTestId('field-params.fisherSamples').locator('input');
  await fisher.fill('40');
  await fisher.press('Enter');
  await expect(page.locator(`[data-node-id="${ewc}"]`)).toContainText('fisherSamples 40');
  await page.locator(`[data-node-id="${replay}"]`).click();
  const memory = page.getByTestId('field-params.memorySize').locator('input');
  await memory.fill('200');
  await memory.press('Enter');
  await expect(page.locator(`[data-node-id="${replay}"]`)).toContainText('memorySize 200');
  // A bad value is marked inline, on its field and its block, until it is fixed.
  await page.getByTestId('block-model').click();
  const hidden = page.getByTestId('field-hidden').locator('input');
  await hidden.fill('100, abc');
  await hidden.press('Tab');
  await expect(page.getByTestId('field-problem-hidden')).toBeVisible();
  await expect(page.getByTestId('block-model')).toHaveAttribute('data-problems', /[1-9]/);
  await hidden.fill('100');
  await hidden.press('Tab');
  await expect(page.getByTestId('field-problem-hidden')).toHaveCount(0);

  // The graph compiles and validates: 2 strategies × 1 seed, compared side by side; autosaved.
  await expect(page.getByTestId('validity')).toHaveText(/Ready · 2 runs/, { timeout: 20_000 });
  await expect(page.getByTestId('compare-intent')).toContainText('Replay (experience replay), EWC (Elastic Weight Consolidation)');
  await expect(page.getByTestId('save-state')).toHaveAttribute('data-state', 'saved', { timeout: 20_000 });
  await page.getByTestId('fit-view').click();
  await page.locator('.vue-flow__pane').click({ position: { x: 10, y: 10 } });
  await snap(page, testInfo, 'designer-light');

  // 5. Run: the Runs view shows the queue, and the live charts fill while they train.
  await page.getByTestId('run-experiment').click();
  await expect(page.getByTestId('runs-view')).toBeVisible();
  const rows = page.locator('[data-testid="run-row"]');
  await expect(rows).toHaveCount(2);
  await expect.poll(() => points(page, 'chart-loss'), { timeout: 120_000, message: 'the loss chart gets points while a run trains' }).toBeGreaterThan(0);
  await expect.poll(() => points(page, 'chart-throughput'), { timeout: 60_000 }).toBeGreaterThan(0);
  await expect.poll(() => points(page, 'chart-accuracy'), { timeout: 120_000, message: 'the accuracy chart gets a point after the first experience' }).toBeGreaterThan(0);
  await snap(page, testInfo, 'runs-live-light');
  await expect(page.locator('[data-testid="run-row"][data-status="finished"]')).toHaveCount(2, { timeout: 240_000 });
  await expect.poll(() => points(page, 'chart-matrix')).toBeGreaterThanOrEqual(15);
  await expect(rows.first().getByTestId('run-acc')).toContainText('ACC');
  await snap(page, testInfo, 'runs-light');

  // 6. Compare: both strategies with their metrics, a best value marked, a pinned baseline, charts with data.
  await page.getByTestId('nav-compare').click();
  const table = page.getByTestId('compare-table');
  await expect(table.getByTestId('compare-row-label').filter({ hasText: 'Replay (experience replay)' })).toBeVisible({ timeout: 30_000 });
  await expect(table.getByTestId('compare-row-label').filter({ hasText: 'EWC (Elastic Weight Consolidation)' })).toBeVisible();
  await expect(table.getByTestId('best-mark').first()).toBeVisible();
  await expect.poll(() => points(page, 'chart-acc')).toBe(2);
  await expect.poll(() => points(page, 'chart-curves')).toBe(10);
  await table.getByRole('button', { name: 'Pin EWC (Elastic Weight Consolidation) as the baseline' }).click();
  await expect(table.locator('.delta').first()).toBeVisible();
  await expect(page.getByTestId('config-memorySize')).toContainText('200');
  await snap(page, testInfo, 'compare-light');

  // 7. Export report: the files are written into the project, or the error shows with its code.
  await page.getByTestId('export-report').click();
  await page.getByTestId('export-confirm').click();
  await expect(page.getByTestId('export-done').or(page.getByTestId('export-dialog').getByTestId('error-notice'))).toBeVisible({ timeout: 60_000 });
  if (await page.getByTestId('export-dialog').getByTestId('error-notice').isVisible()) {
    await expect(page.getByTestId('export-dialog').getByTestId('error-notice')).toHaveAttribute('data-code', /.+/);
  } else {
    await expect(page.getByTestId('export-done')).toContainText('.pdf');
  }
  await page.keyboard.press('Escape');

  // 8. Datasets.
  await page.getByTestId('nav-datasets').click();
  await expect(page.getByTestId('dataset-status-mnist-bundled')).toHaveText('Bundled');
  await snap(page, testInfo, 'datasets-light');

  // 9. Reload: the project, the graph with its parameters, the runs and the comparison are all still there.
  await page.getByTestId('nav-compare').click();
  await page.reload();
  await expect(page.getByTestId('compare-view')).toBeVisible();
  await expect(page.getByTestId('compare-table').getByTestId('compare-row-label').filter({ hasText: 'Replay (experience replay)' })).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('nav-designer').click();
  await expect(page.locator('[data-testid="block-strategy"][data-block-title="Replay (experience replay)"]')).toContainText('memorySize 200');
  await expect(page.locator('[data-testid="block-strategy"][data-block-title="EWC (Elastic Weight Consolidation)"]')).toContainText('fisherSamples 40');
  await expect(page.getByTestId('validity')).toHaveText(/Ready · 2 runs/, { timeout: 20_000 });
  await page.getByTestId('nav-runs').click();
  await expect(page.locator('[data-testid="run-row"][data-status="finished"]')).toHaveCount(2);

  // 10. The dark theme, every view (the choice survives a reload too).
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await page.reload();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await page.getByTestId('nav-runs').click();
  await page.locator('[data-testid="run-row"]').first().click();
  await expect.poll(() => points(page, 'chart-matrix')).toBeGreaterThanOrEqual(15);
  await snap(page, testInfo, 'runs-dark');
  await page.getByTestId('nav-designer').click();
  await expect(page.getByTestId('block-model')).toBeVisible();
  await snap(page, testInfo, 'designer-dark');
  await page.getByTestId('nav-compare').click();
  await expect.poll(() => points(page, 'chart-acc')).toBe(2);
  await snap(page, testInfo, 'compare-dark');
  await page.getByTestId('nav-datasets').click();
  await snap(page, testInfo, 'datasets-dark');

  expect(errors).toEqual([]);
});
