/* The HOBA dashboard (see index.html). */
