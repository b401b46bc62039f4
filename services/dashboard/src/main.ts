document.querySelector('#app')!.textContent = 'interlend dashboard';
