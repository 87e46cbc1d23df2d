import Shared

runTool("mtif-eval") {
    throw MTIFError.usage("mtif-eval is being built")
}
