// The class roll page: lists the students of this backend's database and adds new ones.
async function getJSON(path) {
  const response = await fetch(path);
  return response.json();
}

async function refresh() {
  const [info, students, stats] = await Promise.all([
    getJSON('/api/info'), getJSON('/api/students'), getJSON('/api/stats'),
  ]);
  document.getElementById('database').textContent = info.database;
  const rows = students.map((s) => {
    const row = document.createElement('tr');
    for (const value of [s.name, s.grade]) {
      const cell = document.createElement('td');
      cell.textContent = String(value);
      row.append(cell);
    }
    return row;
  });
  document.getElementById('students').replaceChildren(...rows);
  document.getElementById('average').textContent = stats.average === null ? '-' : String(stats.average);
  document.getElementById('count').textContent = String(stats.count);
}

document.getElementById('add-student').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = { name: form.name.value, grade: Number(form.grade.value) };
  const response = await fetch('/api/students', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  document.getElementById('error').textContent = response.ok ? '' : (await response.json()).error;
  if (response.ok) form.reset();
  await refresh();
});

refresh();
