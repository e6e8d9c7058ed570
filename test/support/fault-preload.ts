/**
 * Loaded with `node --import` in front of the real CLI: on SIGUSR2 it raises the fault named by
 * RAUTA_TEST_FAULT (an exception nothing catches, or a rejection nothing handles), standing in for a bug.
 */
process.on('SIGUSR2', () => {
  if (process.env.RAUTA_TEST_FAULT === 'reject') {
    void Promise.reject(new Error('boom (rejection)'));
    return;
  }
  throw new Error('boom (exception)');
});
