package main

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// plotLoss writes the loss per step as a PNG line chart.
func plotLoss(losses []float64, path string) error {
	p := plot.New()
	p.Title.Text = "training loss (reverse task)"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "mean cross-entropy per token"
	pts := make(plotter.XYs, len(losses))
	for k, l := range losses {
		pts[k].X, pts[k].Y = float64(k), l
	}
	line, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	p.Add(line, plotter.NewGrid())
	return p.Save(8*vg.Inch, 4*vg.Inch, path)
}
