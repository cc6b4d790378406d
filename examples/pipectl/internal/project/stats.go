package project

// Stats counts the project rooted at projectRoot in its default environment:
// datasets in the catalog (parameter entries excluded), nodes in the
// default pipeline (0 when it does not exist) and pipelines defined.
func Stats(projectRoot string) (datasets, nodes, pipelines int, err error) {
	c, err := Load(projectRoot, DefaultEnv)
	if err != nil {
		return 0, 0, 0, err
	}
	for name := range c.Catalog {
		if !IsParameter(name) {
			datasets++
		}
	}
	if _, ok := c.Pipelines[DefaultPipeline]; ok {
		n, err := c.Nodes(DefaultPipeline)
		if err != nil {
			return 0, 0, 0, err
		}
		nodes = len(n)
	}
	return datasets, nodes, len(c.Pipelines), nil
}
