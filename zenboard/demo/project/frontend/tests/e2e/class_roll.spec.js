const { test, expect } = require('./fixtures');

test('the class roll lists the seeded students', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Gradebook' })).toBeVisible();
  await expect(page.locator('#students')).toContainText('Ada Lovelace');
  await expect(page.locator('#students')).toContainText('Alan Turing');
});

test('each worker uses its own database', async ({ page, backend }, testInfo) => {
  await page.goto('/');
  await expect(page.locator('#database')).toHaveText(`test_e2e_w${testInfo.parallelIndex}`);
  expect(backend.database).toBe(`test_e2e_w${testInfo.parallelIndex}`);
});
