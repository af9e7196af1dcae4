"""Same as `torch.nn`: modules, parameters, init and functional."""

from . import functional as functional, init as init
from .modules import *  # noqa: F403 - torch.nn's names, listed in modules.__all__
from .modules import Module as Module, Parameter as Parameter
