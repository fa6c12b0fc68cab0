// This one fails on purpose, to show what a failing browser test looks like in zenboard.
const { test, expect } = require('./fixtures');

test('demo failure: the report card shows letter grades (fails on purpose)', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#letter-grade'), 'the demo has no letter grades yet').toHaveText('A', { timeout: 500 });
});
