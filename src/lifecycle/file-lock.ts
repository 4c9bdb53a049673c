import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeFsError } from '../util/describe-fs-error.js';
import { UserError } from '../util/user-error.js';
import { checkLiveness, describeProcess, isProcessIdentity, type ProcessIdentity } from './process-identity.js';

// A lock is a file created with O_EXCL (open 'wx'): of two processes creating it at once, exactly
// one succeeds. It holds the owner's ProcessIdentity as JSON, so a second run can name the first,
// and a lock whose owner is gone (SIGKILLed, the machine rebooted, the pid reused) is taken over.
// Taking over renames the stale file to a name of our own before creating the lock again with
// O_EXCL, so two runs that both find the same stale lock cannot both end up holding it.

/** A held lock; release() removes the file if it is still ours, and may be called twice. */
export interface HeldLock {
  file: string;
  release(): void;
}

/** What a lock guards, for messages: "the report dir /x" and how to choose another one. */
export interface LockSubject {
  what: string;
  /** One sentence: how to avoid the clash, e.g. "Use another --report-dir for the second run." */
  remedy: string;
}

// A lock file that is not JSON yet may be one being written this very moment (create, then write).
const DAMAGED_GRACE_MS = 2_000;
const RETRY_DELAY_MS = 100;
const MAX_ATTEMPTS = DAMAGED_GRACE_MS / RETRY_DELAY_MS + 5;

function isYoung(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < DAMAGED_GRACE_MS;
  } catch {
    return false;
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function createExclusive(file: string, owner: ProcessIdentity): boolean {
  try {
    writeFileSync(file, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readOwner(file: string): ProcessIdentity | 'missing' | 'damaged' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return 'damaged';
  }
  try {
    const value: unknown = JSON.parse(text);
    return isProcessIdentity(value) ? value : 'damaged';
  } catch {
    return 'damaged';
  }
}

function isSameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.host === b.host && a.startTime === b.startTime && a.startedAt === b.startedAt;
}

/**
 * Takes the lock `file` for `owner`. A lock held by a live run, or by a run on another machine,
 * is a UserError (exit 2) naming that run; a stale one is taken over and `notice` says whose it
 * was. A lock file that is not JSON (a crash while it was written) counts as stale only once it
 * is older than a few seconds, so a lock being written right now is not stolen.
 */
export function acquireLock(file: string, owner: ProcessIdentity, subject: LockSubject, notice: (message: string) => void): HeldLock {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      if (createExclusive(file, owner)) return heldLock(file, owner);
      const holder = readOwner(file);
      if (holder === 'missing') continue;
      if (holder === 'damaged' && isYoung(file)) {
        sleepMs(RETRY_DELAY_MS);
        continue;
      }
      if (holder === 'damaged') {
        notice(`${file} was not a readable run-chunks lock; it was replaced. If another run-chunks is using ${lowerFirst(subject.what)}, stop one of them.`);
      } else {
        const liveness = checkLiveness(holder);
        if (liveness.state === 'alive')
          throw new UserError(`${subject.what} is in use by another run: ${describeProcess(holder)}. It is still running, and two runs there would overwrite each other's results. Wait for it to finish, or ${subject.remedy}`);
        if (liveness.state === 'unknown')
          throw new UserError(
            `${subject.what} is locked by ${describeProcess(holder)}, and run-chunks cannot tell whether that run is still going: ${liveness.reason}. ` +
              `If it is gone, delete ${file} and run again; otherwise ${subject.remedy}`,
          );
        notice(`took over the lock on ${lowerFirst(subject.what)} from ${describeProcess(holder)}, which did not finish: ${liveness.reason}.`);
      }
      takeAside(file, holder);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const fix = code === 'ENOSPC' || code === 'EDQUOT' ? 'Free space on that disk' : 'Make that folder writable';
    throw new UserError(`Cannot lock ${lowerFirst(subject.what)} (${file}): ${describeFsError(error)}. Nothing was written. ${fix}, or ${subject.remedy}`);
  }
  throw new UserError(`Cannot lock ${subject.what}: other runs keep taking ${file}. Wait for them, or ${subject.remedy}`);
}

/**
 * Removes the stale lock file `file`, judged to hold `judged`. Rename first: of two runs taking
 * over the same stale file, only one rename succeeds. If what was moved is not what was judged (the
 * other run took the lock over in between and made its own), it is linked back, never deleted.
 */
export function takeAside(file: string, judged: ProcessIdentity | 'damaged'): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readOwner(aside);
  const same = judged === 'damaged' ? moved === 'damaged' : typeof moved === 'object' && isSameProcess(moved, judged);
  if (!same) {
    try {
      linkSync(aside, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  rmSync(aside, { force: true });
}

function heldLock(file: string, owner: ProcessIdentity): HeldLock {
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      // Only our own: a run that took the lock over after ours was judged stale keeps its lock.
      const holder = readOwner(file);
      if (typeof holder === 'object' && isSameProcess(holder, owner)) rmSync(file, { force: true });
    },
  };
}
