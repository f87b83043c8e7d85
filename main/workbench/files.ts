/**
 * File helpers shared by every writer: atomic replace (temp file + rename, so a crash
 * never leaves a half-written document), append-only NDJSON logs that survive a torn
 * last line, and reads that report the path and reason when a file is unusable.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WorkbenchError } from '../engine/errors.ts';

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new WorkbenchError('IO', `Could not write ${file}: ${(error as Error).message}`, { path: file });
  }
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads and parses a JSON file; a missing file returns undefined, a corrupt one throws with path and reason. */
export async function readJsonIfExists(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WorkbenchError('IO', `Could not read ${file}: ${(error as Error).message}`, { path: file });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WorkbenchError('IO', `${file} is not valid JSON (${(error as Error).message}); it was left untouched`, { path: file });
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * An append-only NDJSON log. Before its first append, a torn last line left by a crash
 * (bytes after the last newline) is cut off, so new records never fuse with it.
 */
export class EventLog {
  private queue: Promise<void> = Promise.resolve();
  private repaired = false;

  constructor(readonly file: string) {}

  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.queue = this.queue.then(async () => {
      if (!this.repaired) {
        await fs.mkdir(path.dirname(this.file), { recursive: true });
        await EventLog.cutTornTail(this.file);
        this.repaired = true;
      }
      await fs.appendFile(this.file, line);
    });
    return this.queue;
  }

  /** Truncates the file after its last newline; returns the number of bytes cut (0 when it ends cleanly or is absent). */
  static async cutTornTail(file: string): Promise<number> {
    let handle;
    try {
      handle = await fs.open(file, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw new WorkbenchError('IO', `Could not open ${file}: ${(error as Error).message}`, { path: file });
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) return 0;
      // Read backwards in chunks until a newline is found.
      const chunk = Buffer.alloc(Math.min(size, 64 * 1024));
      let end = size;
      while (end > 0) {
        const start = Math.max(0, end - chunk.length);
        const { bytesRead } = await handle.read(chunk, 0, end - start, start);
        const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (newline >= 0) {
          const keep = start + newline + 1;
          if (keep === size) return 0;
          await handle.truncate(keep);
          return size - keep;
        }
        end = start;
      }
      await handle.truncate(0);
      return size;
    } finally {
      await handle.close();
    }
  }

  flush(): Promise<void> {
    return this.queue;
  }

  /** Reads every complete record; a torn (unparseable) last line is skipped, as after a crash. */
  static async read(file: string): Promise<{ records: unknown[]; tornLastLine: boolean }> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], tornLastLine: false };
      throw new WorkbenchError('IO', `Could not read ${file}: ${(error as Error).message}`, { path: file });
    }
    const lines = text.split('\n');
    const records: unknown[] = [];
    let tornLastLine = false;
    lines.forEach((line, index) => {
      if (!line.trim()) return;
      try {
        records.push(JSON.parse(line));
      } catch {
        const last = lines.slice(index + 1).every((rest) => !rest.trim());
        if (!last) throw new WorkbenchError('IO', `${file}: line ${index + 1} is not valid JSON`, { path: file, line: index + 1 });
        tornLastLine = true;
      }
    });
    return { records, tornLastLine };
  }
}
