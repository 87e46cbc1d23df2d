import Shared

runTool("mtif-train") {
    throw MTIFError.usage("mtif-train is being built")
}
