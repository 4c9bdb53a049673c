import type { GpuDeviceReading } from './nvidia-smi-csv.js';

// The `--query-gpu` loop prints one row per GPU per iteration, in index order, with no header or
// blank line between iterations. So a row whose index is not above the previous row's starts a
// new round. The first round's size is learned that way; afterwards a round is complete as soon
// as it has that many rows, without waiting for the next round to begin. A round that ends short
// (a GPU stopped answering) is still emitted, and its size becomes the new expectation.

/** Turns a stream of GPU rows into complete rounds (one row per GPU). */
export interface DeviceRoundSplitter {
  /** Feeds one row; returns the newest round this row completed, if any. */
  push(reading: GpuDeviceReading): GpuDeviceReading[] | undefined;
}

/** A splitter that knows nothing yet about how many GPUs there are. */
export function createDeviceRoundSplitter(): DeviceRoundSplitter {
  let pending: GpuDeviceReading[] = [];
  let previousIndex: number | undefined;
  let roundSize: number | undefined;

  return {
    push(reading) {
      let completed: GpuDeviceReading[] | undefined;
      if (pending.length > 0 && previousIndex !== undefined && reading.index <= previousIndex) {
        completed = pending;
        roundSize = pending.length;
        pending = [];
      }
      pending.push(reading);
      previousIndex = reading.index;
      if (pending.length === roundSize) {
        completed = pending;
        pending = [];
      }
      return completed;
    },
  };
}
