"""Neural networks on genotype images, with Lightning: the data and its splits (``data``), the
networks (``networks``), the Lightning module that trains them (``module``), and training and
prediction (``training``)."""
