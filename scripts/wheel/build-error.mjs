// A mistake the person building can fix (a wrong --node, a --platform the binary cannot keep):
// build-wheel.mjs prints its message as one paragraph, with no stack trace, and exits 2.

export class WheelBuildError extends Error {
  constructor(message) {
    super(message);
    this.name = 'WheelBuildError';
  }
}
