// The admin UI arrives with its own issue; this page only proves the wiring.
document.getElementById('app').textContent = 'Troth admin UI';
