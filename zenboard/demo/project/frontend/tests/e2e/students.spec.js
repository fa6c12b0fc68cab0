const { test, expect } = require('./fixtures');

test.describe('adding students', () => {
  test('a new student appears in the class roll', async ({ page }, testInfo) => {
    const name = `Grace Hopper w${testInfo.parallelIndex}`;
    await page.goto('/');
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Grade').fill('18');
    await page.getByRole('button', { name: 'Add student' }).click();
    await expect(page.locator('#students')).toContainText(name);
  });

  test('the class average follows the grades', async ({ page, request }, testInfo) => {
    await request.post('/api/students', { data: { name: `Edsger Dijkstra w${testInfo.parallelIndex}`, grade: 12 } });
    const grades = (await (await request.get('/api/students')).json()).map((s) => s.grade);
    const average = Math.round((grades.reduce((a, b) => a + b, 0) / grades.length) * 100) / 100;
    await page.goto('/');
    await expect(page.locator('#average')).toHaveText(String(average));
  });

  test('a grade above 20 is refused', async ({ page }) => {
    await page.goto('/');
    await page.getByLabel('Name').fill('Nobody');
    await page.getByLabel('Grade').fill('25');
    await page.evaluate(() => { document.querySelector('input[name=grade]').removeAttribute('max'); });
    await page.getByRole('button', { name: 'Add student' }).click();
    await expect(page.getByRole('alert')).toContainText('grade from 0 to 20');
  });
});
