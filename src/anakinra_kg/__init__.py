"""anakinra-kg: a knowledge graph of the drug anakinra (Kineret), served over SPARQL."""

__version__ = "0.1.0"
