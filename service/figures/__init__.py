"""The numbers of a street or a community for one calendar year (the figures contract in
``docs/figures.md``): meetings by kind, people reached, residents' requests from collection
to 销号, days to 销号, satisfaction, by month, by grid and by community; with their XLSX
workbook and their SVG charts."""
