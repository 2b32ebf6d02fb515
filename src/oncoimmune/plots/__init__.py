"""Static figures (matplotlib, no pyplot state: safe under the Agg backend and in threads)."""

from .trajectory import plot_trajectory, save_trajectory_plot

__all__ = ["plot_trajectory", "save_trajectory_plot"]
