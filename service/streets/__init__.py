"""Streets (街道) above their communities, and the grid party branches (网格党支部) of a
community: made by an admin, read by the staff who work there."""
