/**
 * The real file system's whole-file read (nodeFileSystem.readFile: one read of 8192 bytes, then on
 * to the end for a file that fills it) and the ENOENT helpers built on the seam: every size around
 * the first read's edge comes back byte for byte, an absent file or directory is told apart from
 * other errors, and no failing or succeeding read leaves a descriptor open.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileSystem, readdirOrNull, readFileOrNull } from '../../../src/storage/file-system.js';
import { Prng } from '../../helpers/prng.js';
import { tempDir } from '../../helpers/storage.js';

/** Seeded bytes with no long runs of one value, so a short, shifted or uninitialised read shows. */
function bytesOf(size: number, seed: number): Buffer {
  const rng = new Prng(seed);
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = rng.int(256);
  return out;
}

const SIZES = [0, 1, 5, 8191, 8192, 8193, 16383, 16384, 16385, 100 * 1024, 100 * 1024 + 3];

test('readFile returns files of every size around the 8192-byte first read byte for byte', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const size of SIZES) {
      const path = join(dir, `f${size}`);
      const want = bytesOf(size, size + 1);
      await writeFile(path, want);
      const got = await nodeFileSystem.readFile(path);
      assert.equal(got.length, size, `${size} bytes: the length`);
      assert.ok(got.equals(want), `${size} bytes: the content`);
      assert.ok((await readFileOrNull(nodeFileSystem, path))?.equals(want), `${size} bytes through readFileOrNull`);
    }
  } finally {
    await cleanup();
  }
});

test('buffers readFile returned stay as read while later files are read', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const read: [Buffer, Buffer][] = [];
    for (const size of SIZES) {
      const want = bytesOf(size, 1000 + size);
      await writeFile(join(dir, `f${size}`), want);
      read.push([await nodeFileSystem.readFile(join(dir, `f${size}`)), want]);
    }
    read.forEach(([got, want], i) => assert.ok(got.equals(want), `the file of ${SIZES[i]} bytes, after the later reads`));
  } finally {
    await cleanup();
  }
});

test('an absent file rejects with ENOENT, which readFileOrNull turns into null', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await assert.rejects(nodeFileSystem.readFile(join(dir, 'absent')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    await assert.rejects(nodeFileSystem.readFile(join(dir, 'no-dir', 'absent')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    assert.equal(await readFileOrNull(nodeFileSystem, join(dir, 'absent')), null);
  } finally {
    await cleanup();
  }
});

test('readFile of a directory rejects (EISDIR) instead of returning bytes', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await assert.rejects(nodeFileSystem.readFile(dir), (err: NodeJS.ErrnoException) => err.code === 'EISDIR');
  } finally {
    await cleanup();
  }
});

test('readdirOrNull: null for an absent directory, the entries of a present one, and other errors rethrown', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    assert.equal(await readdirOrNull(nodeFileSystem, join(dir, 'absent')), null);
    assert.equal(await readdirOrNull(nodeFileSystem, join(dir, 'absent', 'deeper')), null);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'file'), 'x');
    const entries = await readdirOrNull(nodeFileSystem, dir);
    assert.deepEqual(entries?.sort((a, b) => a.name.localeCompare(b.name)), [
      { name: 'file', isDirectory: false },
      { name: 'sub', isDirectory: true },
    ]);
    assert.deepEqual(await readdirOrNull(nodeFileSystem, join(dir, 'sub')), []);
    // A file where a directory was expected is no absent directory: the caller must hear of it.
    await assert.rejects(readdirOrNull(nodeFileSystem, join(dir, 'file')), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR');
  } finally {
    await cleanup();
  }
});

test('readFile closes its descriptor whether the read succeeds or fails', { skip: process.platform !== 'linux' && 'counts /proc/self/fd' }, async () => {
  const { dir, cleanup } = await tempDir();
  try {
    for (const size of [5, 8192, 100 * 1024]) await writeFile(join(dir, `f${size}`), bytesOf(size, size));
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 20; i++) {
      for (const size of [5, 8192, 100 * 1024]) await nodeFileSystem.readFile(join(dir, `f${size}`));
      // Opening a directory read-only succeeds; its read fails: the descriptor must still be closed.
      await assert.rejects(nodeFileSystem.readFile(dir));
      await assert.rejects(nodeFileSystem.readFile(join(dir, 'absent')));
    }
    assert.equal(openFds(), before, 'descriptors left open by 100 reads');
  } finally {
    await cleanup();
  }
});
