import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

// No handler runs when run-chunks gets SIGKILL (or the OOM killer picks it), and its chunks lead
// their own process groups, so nothing would stop them: they would run on as orphans, holding
// memory and GPUs. The watchdog is a tiny shell process in its own session that reads the live
// groups from a pipe. The pipe's write end is run-chunks' alone (close-on-exec), so the kernel
// closes it exactly when run-chunks dies; the watchdog reads end-of-file and stops every group
// still live, then sweeps the processes that left their group but carry the run's marker.
// On a normal exit run-chunks says "done" first and the watchdog just leaves.
//
// A chunk's cgroup holds every process of it, whatever its group, session or environment: the
// watchdog kills what is in the cgroups it knows (cgroup.kill on v2, else cgroup.procs round
// after round) and removes them.
//
// Protocol, one line each: "+PGID" a group started, "-PGID" it is gone, "@DIR" a chunk cgroup
// was made, "!DIR" it is removed, "done" a clean exit.
const WATCHDOG_SCRIPT = `
run_id=$1
groups=' '
cgroups=' '
while IFS= read -r line; do
  case $line in
    @*) cgroups="$cgroups\${line#@} " ;;
    !*)
      kept=' '
      for c in $cgroups; do [ "$c" = "\${line#!}" ] || kept="$kept$c "; done
      cgroups=$kept ;;
    +*) groups="$groups\${line#+} " ;;
    -*)
      kept=' '
      for g in $groups; do [ "$g" = "\${line#-}" ] || kept="$kept$g "; done
      groups=$kept ;;
    done) exit 0 ;;
  esac
done
if [ -n "\${groups# }" ]; then
  for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
  sleep 1
  for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
fi
for c in $cgroups; do
  [ -f "$c/cgroup.kill" ] && echo 1 > "$c/cgroup.kill" 2>/dev/null
  round=0
  while [ $round -lt 20 ]; do
    pids=$(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [ -z "$pids" ] && break
    kill -s KILL $pids 2>/dev/null
    sleep 0.1
    round=$((round + 1))
  done
  for d in $(find "$c" -depth -type d 2>/dev/null); do rmdir "$d" 2>/dev/null; done
done
[ -d /proc/self ] || exit 0
round=0
while [ $round -lt 5 ]; do
  pids=$(grep -lsxzF -e "RUN_CHUNKS_RUN_ID=$run_id" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3)
  [ -z "$pids" ] && exit 0
  kill -s KILL $pids 2>/dev/null
  sleep 0.2
  round=$((round + 1))
done
`;

const SAFE_PATH = /^\/[A-Za-z0-9_./:-]+$/;

/** The running watchdog of one run. Every method is a no-op once the watchdog is gone. */
export interface Watchdog {
  readonly pid: number | undefined;
  watch(pgid: number): void;
  unwatch(pgid: number): void;
  /** Kill what is in this chunk cgroup (and remove it) should run-chunks die. */
  watchCgroup(dir: string): void;
  unwatchCgroup(dir: string): void;
  /** Tells the watchdog run-chunks is exiting cleanly (its own exit hook stopped the groups). */
  release(): void;
}

/**
 * Starts the watchdog for a run (`runId` is the RUN_CHUNKS_RUN_ID value its chunks carry).
 * Without /bin/sh (not a POSIX system) there is none, and a SIGKILL of run-chunks is unguarded.
 */
export function startWatchdog(runId: string): Watchdog {
  const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'run-chunks-watchdog', runId], {
    // Its own session: a Ctrl-C meant for run-chunks must not take the watchdog down with it.
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    // A clean environment: the watchdog carries no marker, so it never sweeps itself.
    // Its tools (grep, cut, cat, find, sleep) are in /usr/bin or /bin whatever the run's PATH.
    env: { PATH: `${process.env.PATH ? `${process.env.PATH}:` : ''}/usr/bin:/bin` },
  });
  let alive = true;
  const gone = (): void => {
    alive = false;
  };
  child.on('error', gone);
  child.on('exit', gone);
  const stdin = child.stdin as Socket;
  stdin.on('error', gone);
  // Neither the process nor its pipe may keep run-chunks' event loop alive.
  child.unref();
  stdin.unref();
  const send = (line: string): void => {
    if (alive) stdin.write(`${line}\n`);
  };
  return {
    pid: child.pid,
    watch: (pgid) => send(`+${pgid}`),
    unwatch: (pgid) => send(`-${pgid}`),
    // The script splits on spaces: a path with other characters is left to the exit hook.
    watchCgroup: (dir) => SAFE_PATH.test(dir) && send(`@${dir}`),
    unwatchCgroup: (dir) => SAFE_PATH.test(dir) && send(`!${dir}`),
    release() {
      send('done');
      alive = false;
    },
  };
}
