/**
 * Run-worker entry (placeholder). The real worker runs one training run per
 * process and streams its events to the scheduler; until then it only proves
 * that the entry builds and starts.
 */
console.log('worker ready');
